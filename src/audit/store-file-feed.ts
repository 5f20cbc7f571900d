import type { Worker } from 'node:worker_threads';
import { BzzzError } from '../errors.js';
import { startModuleWorker } from '../worker-module.js';
import { failureError } from './leaf-worker-protocol.js';
import { HASH_SIZE } from './rfc6962-hash.js';
import type { FeedReply, StoreFileFeedData } from './store-file-feed-protocol.js';
import { MAX_BATCH, PACE_MS } from './feed-pacing.js';
import type { RecordedBatch, TrailFeed, TrailFeedOptions } from './trail-feed.js';

/**
 * The trail feed of the embedded store on a file (trail-feed.ts): a worker thread
 * (store-file-feed-main.ts) reads the trail's events from the store's file itself, hashes and records
 * them, and hands over the leaves and the interior nodes they complete, one batch per request. This
 * thread (the node's main thread, which runs the store's group commits) only asks for the next batch
 * and extends the tree: nothing per event, no subscription to the store. Undefined when the worker
 * cannot start or open the files (the caller falls back to the subscription feed).
 */
export async function openStoreFileFeed(
  options: TrailFeedOptions & { storeFile: string },
): Promise<TrailFeed | undefined> {
  const data: StoreFileFeedData = {
    storeFile: options.storeFile,
    auditFile: options.db.path,
    trail: options.trail,
    frontier: options.frontier,
    followed: options.followed === undefined ? null : options.followed.toString(),
    maxBatch: MAX_BATCH,
    paceMs: PACE_MS,
  };
  const feed = new StoreFileFeed(data, options.urgent);
  try {
    await feed.ready();
    return feed;
  } catch {
    await feed.close();
    return undefined;
  }
}

type Settled = { batch: RecordedBatch } | { error: unknown } | { end: true };

class StoreFileFeed implements TrailFeed {
  readonly #worker: Worker;
  readonly #urgent: () => boolean;
  readonly #ready: Promise<void>;
  readonly #exited: Promise<void>;
  /** What the worker answered and next() has not handed out yet, in order. */
  readonly #answers: Settled[] = [];
  #wake: (() => void) | undefined;
  /** A request is under way in the worker. */
  #asked = false;
  #stopping = false;
  #ended = false;

  constructor(data: StoreFileFeedData, urgent: () => boolean) {
    this.#urgent = urgent;
    this.#worker = startModuleWorker(import.meta.url, 'store-file-feed-main', { workerData: data });
    let opened!: () => void;
    this.#ready = new Promise((resolve, reject) => {
      opened = resolve;
      this.#worker.once('error', reject);
    });
    // Its rejection reaches the caller through ready().
    this.#ready.catch(() => {});
    this.#worker.on('message', (reply: FeedReply) => this.#receive(reply, opened));
    this.#worker.on('error', (error) => this.#settle({ error }));
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        if (!this.#ended) {
          this.#settle({
            error: new BzzzError('AUDIT_WORKER_EXITED', 'the trail store-file worker has stopped'),
          });
        }
        resolve();
      });
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  async next(): Promise<RecordedBatch | undefined> {
    for (;;) {
      const answer = this.#answers.shift();
      if (answer !== undefined) {
        if ('error' in answer) throw answer.error;
        if ('end' in answer) {
          // Handed out again to any later call.
          this.#answers.unshift(answer);
          return undefined;
        }
        // The worker reads the next batch while the writer takes this one.
        this.#ask();
        return answer.batch;
      }
      this.#ask();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  hurry(): void {
    if (this.#stopping || this.#ended) return;
    // Someone waits for the answer: it keeps the process alive until relax().
    this.#worker.ref();
    if (this.#asked) this.#worker.postMessage('hurry');
  }

  relax(): void {
    if (!this.#stopping && !this.#ended) this.#worker.unref();
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#ended) return;
    // Answered `closed` after any batch under way: next() hands that one out first.
    this.#worker.ref();
    this.#worker.postMessage('close');
  }

  async close(): Promise<void> {
    await this.stop();
    await this.#exited;
  }

  #ask(): void {
    if (this.#asked || this.#stopping || this.#ended) return;
    this.#asked = true;
    this.#worker.postMessage({ next: true, urgent: this.#urgent() });
  }

  #receive(reply: FeedReply, opened: () => void): void {
    if ('ready' in reply) {
      this.#worker.unref();
      opened();
    } else if ('closed' in reply) {
      this.#settle({ end: true });
    } else if ('error' in reply) {
      this.#asked = false;
      this.#settle({ error: failureError(reply) });
    } else {
      this.#asked = false;
      const region = Buffer.from(reply.buffer);
      const upper: Buffer[] = [];
      let at = reply.count * HASH_SIZE;
      for (const count of reply.upper) {
        upper.push(region.subarray(at, at + count * HASH_SIZE));
        at += count * HASH_SIZE;
      }
      const batch = {
        count: reply.count,
        leaves: region.subarray(0, reply.count * HASH_SIZE),
        upper,
        followed: BigInt(reply.followed),
      };
      this.#settle({ batch });
    }
  }

  #settle(answer: Settled): void {
    if (this.#ended) return;
    if (!('batch' in answer)) this.#ended = true;
    this.#answers.push(answer);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
