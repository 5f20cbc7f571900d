import type { EventStore } from '../events/event-store.js';
import { embeddedStoreFile } from '../events/sqlite/store-file.js';
import { openStoreFileFeed } from './store-file-feed.js';
import { openSubscriptionFeed } from './subscription-feed.js';
import type { TrailDb } from './trail-db.js';
import type { TreeFrontier } from './tree-edge.js';

/**
 * Where the trail writer's leaves come from: the trail's events of `$all`, from where the audit
 * database stopped, hashed and recorded there (with the position followed), in batches, in order.
 * The writer extends its tree with each batch and signs its checkpoints; the feed does the rest.
 *
 * Two feeds: for the embedded store on a file, a worker thread reads the file itself on a read-only
 * connection and does everything (store-file-feed.ts), so the node's main thread, which runs the
 * store's group commits, does nearly nothing per event; for any other store (KurrentDB, an in-memory
 * store) the writer's thread follows the store's canonical subscription and hands each page to a leaf
 * sink (subscription-feed.ts). Both record the same rows and give the same leaves.
 */
export interface TrailFeed {
  /**
   * The next batch, recorded; waits for the log to grow. Undefined once the feed is stopped and has
   * handed out everything it recorded. Rejects when reading or recording fails (AUDIT_DB_CONFLICT…).
   */
  next(): Promise<RecordedBatch | undefined>;
  /**
   * Someone waits for the trail to catch up: read now rather than after the pacing wait, and keep the
   * process alive for it until `relax()`.
   */
  hurry(): void;
  /** Nobody waits any more. */
  relax(): void;
  /** Reads no more: next() then gives what is already recorded, and undefined. */
  stop(): Promise<void>;
  /** Releases the feed's threads and connections, once next() has given undefined or failed. */
  close(): Promise<void>;
}

/** A batch of trail events, recorded in the audit database. */
export interface RecordedBatch {
  /** Trail events in the batch (possibly none: the log moved on with other entries only). */
  count: number;
  /** Their leaf hashes, side by side, 32 bytes each (read them before the next `next()`). */
  leaves: Buffer;
  /** The interior nodes they complete, per level from 1 (MerkleTree.appendComputed), if computed. */
  upper?: Buffer[];
  /** The `$all` position the batch brings the trail to (recorded with it). */
  followed: bigint | undefined;
}

export interface TrailFeedOptions {
  store: EventStore;
  db: TrailDb;
  trail: string;
  /** The writer's tree now: the feed continues it. */
  frontier: TreeFrontier;
  /** The last `$all` position already followed (undefined: from the start). */
  followed: bigint | undefined;
  /** Whether someone waits (flush, stop): then the feed does not pace its reads. */
  urgent: () => boolean;
  /** Read the embedded store's file in a worker when possible (default true); false: always subscribe. */
  readStoreFile?: boolean;
}

/** The feed for `options.store`: the store file's when it has one and a worker can read it, else the subscription's. */
export async function openTrailFeed(options: TrailFeedOptions): Promise<TrailFeed> {
  const file = options.readStoreFile === false ? undefined : embeddedStoreFile(options.store);
  if (file !== undefined && options.db.path !== ':memory:') {
    const feed = await openStoreFileFeed({ ...options, storeFile: file });
    if (feed) return feed;
  }
  return openSubscriptionFeed(options);
}
