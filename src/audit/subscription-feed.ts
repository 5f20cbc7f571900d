import { type CanonicalPage, subscribeToAllCanonical } from '../events/canonical-reads.js';
import { openLeafSink } from './leaf-worker.js';
import { AUDIT_STREAM_PREFIX } from './trail.js';
import { trailEventsOf } from './trail-batch.js';
import { MAX_BATCH, PACE_MS } from './feed-pacing.js';
import type { RecordedBatch, TrailFeed, TrailFeedOptions } from './trail-feed.js';

/**
 * The trail feed of any store (trail-feed.ts): the writer's thread follows the store's canonical
 * subscription of `$all` (the trail's events as canonical bytes; the embedded store composes its live
 * pages from what it has just written), and hands each page's trail events to a leaf sink
 * (leaf-worker.ts: a worker thread hashes and records them, or this thread for an in-memory audit
 * database). Once caught up it reads at most every PACE_MS, unless someone waits.
 */
export async function openSubscriptionFeed(options: TrailFeedOptions): Promise<TrailFeed> {
  const sink = await openLeafSink(options.db, options.frontier);
  const subscription = subscribeToAllCanonical(options.store, {
    from: options.followed === undefined ? 'start' : { after: options.followed },
    author: options.trail,
    excludeStreamPrefixes: [AUDIT_STREAM_PREFIX],
    withIdentity: true,
    maxCount: MAX_BATCH,
  });
  const pages = subscription[Symbol.asyncIterator]();
  let size = options.frontier.size;
  let followed = options.followed;
  let caughtUp = false;
  let stopped = false;
  let endPace: (() => void) | undefined;

  /** Waits PACE_MS, or less if hurried or stopped. */
  const pace = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => endPace?.(), PACE_MS);
      endPace = () => {
        clearTimeout(timer);
        endPace = undefined;
        resolve();
      };
    });

  return {
    async next(): Promise<RecordedBatch | undefined> {
      if (caughtUp && !stopped && !options.urgent()) await pace();
      if (stopped) return undefined;
      const { value: page, done } = (await pages.next()) as IteratorResult<CanonicalPage, undefined>;
      if (done) return undefined;
      const events = trailEventsOf(page, options.trail, size);
      const count = events.ids.length;
      followed = page.last ?? followed;
      const { leaves, upper } = await sink.submit({ ...events, followed });
      size += count;
      caughtUp = page.scanned < MAX_BATCH;
      return { count, leaves, ...(upper ? { upper } : {}), followed };
    },
    hurry() {
      endPace?.();
    },
    // Its waits hold a timer, and its leaf sink the process while a batch is under way.
    relax() {},
    async stop() {
      stopped = true;
      endPace?.();
      await subscription.close();
    },
    async close() {
      await sink.close();
    },
  };
}
