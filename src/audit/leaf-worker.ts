import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-module.js';
import { BzzzError } from '../errors.js';
import type { PackedLeaves } from './leaf-runs.js';
import {
  type BatchMessage,
  failureError,
  type LeafWorkerData,
  replySize,
  requestLayout,
  sharedRegion,
  type WorkerReply,
} from './leaf-worker-protocol.js';
import { HASH_SIZE, leafHashInPlace } from './rfc6962-hash.js';
import type { TrailDb } from './trail-db.js';
import type { TreeFrontier } from './tree-edge.js';

/** Trail events to hash and record: their canonical bytes back to back, and what the database keeps. */
export interface LeafBatch extends Omit<PackedLeaves, 'leaves'> {
  bytes: Buffer;
  /** `count + 1` offsets into `bytes`: event i is `bytes[offsets[i], offsets[i + 1])`. */
  offsets: Uint32Array;
  /** The last `$all` position the batch brings the writer to, recorded with it. */
  followed: bigint | undefined;
}

export interface LeafResult {
  /** The events' RFC 6962 leaf hashes, side by side, 32 bytes each. */
  leaves: Buffer;
  /**
   * The interior nodes the leaves complete (MerkleTree.appendComputed), when the sink keeps a copy of
   * the tree's right edge; else the caller computes them.
   */
  upper?: Buffer[];
}

/**
 * Where the trail writer has its leaves hashed and recorded (with the position followed) in the audit
 * database, one batch at a time, in order. A batch's result means it is recorded; a conflict with what
 * the database already holds (another writer of the node recorded other leaves) fails it with
 * AUDIT_DB_CONFLICT.
 */
export interface LeafSink {
  /**
   * The result's buffers may be views of memory the sink reuses: read them before the next submit.
   * The batch is the caller's again once the returned promise settles.
   */
  submit(batch: LeafBatch): Promise<LeafResult>;
  close(): Promise<void>;
}

/**
 * The trail writer's sink, ready: a worker thread (leaf-worker-main.ts) with its own connection to the
 * audit database, so that the hashing (leaves and the interior nodes they complete, from the tree's
 * `frontier`) and the inserts run beside the node's main thread instead of between its group commits;
 * for an in-memory database, or if the worker cannot start, this thread (leaves only, the writer
 * computes the rest).
 */
export async function openLeafSink(db: TrailDb, frontier: TreeFrontier): Promise<LeafSink> {
  if (db.path === ':memory:') return new HashHere(db);
  let worker: LeafWorker | undefined;
  try {
    worker = new LeafWorker({ path: db.path, trail: db.trail, frontier });
    await worker.ready();
    return worker;
  } catch {
    await worker?.close();
    return new HashHere(db);
  }
}

/** Buffer#latin1Write: what write(…, 'latin1') calls, without its argument juggling (not in @types/node). */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

class HashHere implements LeafSink {
  constructor(private readonly db: TrailDb) {}

  async submit(batch: LeafBatch): Promise<LeafResult> {
    const count = batch.ids.length;
    const leaves = Buffer.alloc(count * HASH_SIZE);
    for (let i = 0; i < count; i++) {
      const leaf = leafHashInPlace(batch.bytes, batch.offsets[i]!, batch.offsets[i + 1]!);
      (leaves as Latin1Writable).latin1Write(leaf, i * HASH_SIZE);
    }
    this.db.recordPacked({ ...batch, leaves }, batch.followed);
    return { leaves };
  }

  async close(): Promise<void> {}
}

class LeafWorker implements LeafSink {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  readonly #exited: Promise<void>;
  /** The batch under way: one at a time, the shared regions are the worker's until it answers. */
  #pending:
    { count: number; resolve: (result: LeafResult) => void; reject: (error: unknown) => void } | undefined;
  #request = sharedRegion(1);
  #reply = sharedRegion(1);
  #sentRegions = false;
  #failure: unknown;

  constructor(data: LeafWorkerData) {
    this.#worker = startModuleWorker(import.meta.url, 'leaf-worker-main', { workerData: data });
    let opened!: () => void;
    this.#ready = new Promise((resolve, reject) => {
      opened = resolve;
      this.#worker.once('error', reject);
    });
    // Its rejection reaches the caller through ready() and every later submit().
    this.#ready.catch(() => {});
    this.#worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        this.#worker.unref();
        opened();
      } else this.#settle(reply);
    });
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        this.#failAll(new BzzzError('AUDIT_WORKER_EXITED', 'the trail leaf worker has stopped'));
        resolve();
      });
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  submit(batch: LeafBatch): Promise<LeafResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#pending !== undefined) {
      return Promise.reject(new Error('internal: a batch is already under way in the leaf worker'));
    }
    return new Promise((resolve, reject) => {
      const message = this.#message(batch);
      this.#pending = { count: batch.ids.length, resolve, reject };
      // Kept alive only while a batch is under way.
      this.#worker.ref();
      this.#worker.postMessage(message);
    });
  }

  /** Lays the batch out in the request region (and makes room in both regions) for the worker. */
  #message(batch: LeafBatch): BatchMessage {
    const count = batch.ids.length;
    const bytesLength = batch.offsets[count]!;
    const layout = requestLayout(count, bytesLength);
    const message: BatchMessage = {
      count,
      firstIndex: batch.firstIndex,
      bytesLength,
      ids: batch.ids.join(''),
      streams: batch.streams.join(''),
      followed: batch.followed === undefined ? null : batch.followed.toString(),
    };
    if (layout.size > this.#request.byteLength || !this.#sentRegions) {
      if (layout.size > this.#request.byteLength) this.#request = sharedRegion(layout.size);
      message.request = this.#request;
    }
    if (replySize(count) > this.#reply.byteLength || !this.#sentRegions) {
      if (replySize(count) > this.#reply.byteLength) this.#reply = sharedRegion(replySize(count));
      message.reply = this.#reply;
    }
    this.#sentRegions = true;
    const request = this.#request;
    new Uint32Array(request, layout.offsets, count + 1).set(batch.offsets.subarray(0, count + 1));
    const positions = new BigInt64Array(request, layout.positions, count);
    const revisions = new Float64Array(request, layout.revisions, count);
    const lengths = new Uint32Array(request, layout.lengths, 2 * count);
    for (let i = 0; i < count; i++) {
      positions[i] = batch.positions[i]!;
      revisions[i] = batch.revisions[i]!;
      lengths[i] = batch.ids[i]!.length;
      lengths[count + i] = batch.streams[i]!.length;
    }
    new Uint8Array(request, layout.bytes, bytesLength).set(batch.bytes.subarray(0, bytesLength));
    return message;
  }

  async close(): Promise<void> {
    if (this.#failure === undefined) {
      this.#worker.ref();
      this.#worker.postMessage('close');
    }
    await this.#exited;
  }

  #settle(reply: Exclude<WorkerReply, { ready: true }>): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#worker.unref();
    if (!pending) return;
    if ('upper' in reply) {
      const region = Buffer.from(this.#reply);
      const upper: Buffer[] = [];
      let at = pending.count * HASH_SIZE;
      for (const count of reply.upper) {
        upper.push(region.subarray(at, at + count * HASH_SIZE));
        at += count * HASH_SIZE;
      }
      pending.resolve({ leaves: region.subarray(0, pending.count * HASH_SIZE), upper });
    } else {
      pending.reject(failureError(reply));
    }
  }

  #failAll(error: unknown): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }
}
