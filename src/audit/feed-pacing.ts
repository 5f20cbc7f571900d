/** How often and how much the trail feeds (trail-feed.ts) read the log. */

/**
 * Entries of `$all` per read: room for what PACE_MS brings under load (about 1,250 events at 50,000
 * appends/s), well within what the embedded store keeps in memory for its followers (8,192).
 */
export const MAX_BATCH = 2000;
/**
 * Once caught up, a feed reads the log at most every PACE_MS: a read of the log, and the batch it
 * makes, cost about as much whether they hold one commit or ten (the read, the hand-over between
 * threads, the tree's checks, a transaction in the audit database), so under load the events of many
 * group commits go at once. Measured on the main thread under load: 25 ms cost less than 10 ms, and
 * 50 ms no less (the events waiting for the read live longer, and the garbage collector copies them).
 * `hurry()` cuts the wait short.
 */
export const PACE_MS = 25;
