import type { FailureReply } from './leaf-worker-protocol.js';
import type { TreeFrontier } from './tree-edge.js';

/**
 * How the trail writer's thread and the worker that reads the embedded store's file
 * (store-file-feed.ts, store-file-feed-main.ts) talk. The writer asks for one batch at a time; the
 * worker reads the trail's next events from the file, hashes and records them, and answers with their
 * leaves and the interior nodes they complete, in a buffer it hands over (transferred, not copied).
 * The writer asks for the next batch as soon as it has one, so the worker reads it meanwhile.
 */

export interface StoreFileFeedData {
  /** The embedded store's file (absolute). */
  storeFile: string;
  /** The audit database (its file exists: the writer opened it first). */
  auditFile: string;
  trail: string;
  /** The writer's tree at the start: the worker continues its right edge. */
  frontier: TreeFrontier;
  /** The last `$all` position already followed, as a decimal string, or null. */
  followed: string | null;
  /** Entries of `$all` per read. */
  maxBatch: number;
  /** Least time between two reads once caught up, unless hurried (ms). */
  paceMs: number;
}

/** Writer → worker. */
export type FeedRequest =
  /** The next batch, once the log holds anything after what was followed; `urgent`: do not pace. */
  | { next: true; urgent: boolean }
  /** Someone waits: end the pacing wait of the request under way. */
  | 'hurry'
  /** Read no more, close the connections, answer `closed`. */
  | 'close';

/** Worker → writer. */
export type FeedReply = { ready: true } | FeedBatch | FailureReply | { closed: true };

/**
 * A batch, recorded: in `buffer`, the `count` leaves, then `upper[k]` nodes of each level k + 1.
 * `followed`: the position it brings the trail to (decimal string).
 */
export interface FeedBatch {
  count: number;
  upper: number[];
  followed: string;
  buffer: ArrayBuffer;
}
