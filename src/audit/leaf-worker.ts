import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BzzzError } from '../errors.js';
import { HASH_SIZE, leafHashInPlace } from './rfc6962-hash.js';
import type { MerkleTree } from './merkle-tree.js';
import type { PackedLeaves } from './leaf-runs.js';
import { RUN_SQL, type TrailDb } from './trail-db.js';

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
  /**
   * Whether they (and the position followed) are in the audit database now. False when the database
   * holds more than it expected (another writer of the node recorded meanwhile) or the sink does not
   * record: the caller records them, checking what is already there.
   */
  recorded: boolean;
}

/** Where the trail writer has its leaves hashed (and recorded), in order. */
export interface LeafSink {
  /** Takes the batch's `bytes` and `offsets` over: the caller must not use them afterwards. */
  submit(batch: LeafBatch): Promise<LeafResult>;
  close(): Promise<void>;
}

/**
 * The trail writer's sink, ready: a worker thread with its own connection to the audit database, so
 * that the hashing (leaves and the interior nodes they complete, from the tree's `frontier`) and the
 * inserts run beside the node's main thread instead of between its group commits; for an in-memory
 * database, or if the worker cannot start, this thread (leaves only, the writer does the rest).
 */
export async function openLeafSink(db: TrailDb, frontier: TreeFrontier): Promise<LeafSink> {
  if (db.path === ':memory:') return new HashHere();
  const worker = new LeafWorker(db.path, frontier);
  try {
    await worker.ready();
    return worker;
  } catch {
    await worker.close();
    return new HashHere();
  }
}

class HashHere implements LeafSink {
  async submit(batch: LeafBatch): Promise<LeafResult> {
    const count = batch.ids.length;
    const leaves = Buffer.alloc(count * HASH_SIZE);
    for (let i = 0; i < count; i++) {
      const leaf = leafHashInPlace(batch.bytes, batch.offsets[i]!, batch.offsets[i + 1]!);
      leaves.write(leaf, i * HASH_SIZE, 'latin1');
    }
    return { leaves, recorded: false };
  }

  async close(): Promise<void> {}
}

/** A view over a whole ArrayBuffer of its own, which can be transferred (not a slice of Node's pool). */
function ownsItsBuffer(view: Uint8Array | Uint32Array): boolean {
  return (
    view.byteOffset === 0 &&
    view.byteLength === view.buffer.byteLength &&
    view.byteLength > 0 &&
    view.buffer instanceof ArrayBuffer
  );
}

/** Where the tree's right edge is: MerkleTree.frontier(). */
export type TreeFrontier = ReturnType<MerkleTree['frontier']>;

/** Messages from the worker. */
type Reply =
  | { ready: true }
  | { leaves: Uint8Array; upper: Uint8Array[]; recorded: boolean }
  | { error: string; code?: string };

/**
 * The worker's program, plain JavaScript run from source (`eval`), so that it loads the same way from
 * the TypeScript sources (tests, benches) and from the build. It hashes as rfc6962-hash.ts does
 * (leaves SHA-256 of 0x00 ‖ bytes, nodes of 0x01 ‖ left ‖ right), keeps the tree's right edge to give
 * the nodes the leaves complete a level at a time as MerkleTree.appendPacked builds them, and appends
 * a run as TrailDb does (RUN_SQL; positions as i64 big-endian, events as JSON [ids, streams,
 * revisions]), and only when the run starts where the database ends: anything else (what would need
 * comparing with recorded leaves) it leaves to TrailDb.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const Database = require(workerData.driver);
const sql = workerData.sql;
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const end = db.prepare(sql.end);
const insertRun = db.prepare(sql.insertRun);
const getMeta = db.prepare(sql.getMeta);
const setMeta = db.prepare(sql.setMeta);
const record = db.transaction((batch, leaves) => {
  const count = batch.ids.length;
  if (count > 0) {
    if (end.get().end !== batch.firstIndex) return false;
    const positions = Buffer.alloc(count * 8);
    for (let i = 0; i < count; i++) positions.writeBigInt64BE(batch.positions[i], i * 8);
    const events = JSON.stringify([batch.ids, batch.streams, batch.revisions]);
    insertRun.run(batch.firstIndex, count, leaves, positions, events);
  }
  if (batch.followed !== null) {
    const current = getMeta.get('followed');
    if (current === undefined || BigInt(batch.followed) > BigInt(current.value)) setMeta.run('followed', batch.followed);
  }
  return true;
});
let treeSize = workerData.tree.size;
const frontier = workerData.tree.nodes.map((node) => (node ? Buffer.from(node) : null));
const NODE = Buffer.alloc(65, 1);
function extend(firstIndex, leaves, count) {
  if (firstIndex !== treeSize) throw new Error('the batch starts at trail index ' + firstIndex + ', not ' + treeSize);
  const upper = [];
  let nodes = leaves;
  for (let level = 0, n = count; n > 0; level++) {
    const pending = frontier[level] || null;
    const total = n + (pending ? 1 : 0);
    const at = (j) => (pending ? (j === 0 ? pending : nodes.subarray((j - 1) * 32, j * 32)) : nodes.subarray(j * 32, (j + 1) * 32));
    const parents = total >> 1;
    const above = Buffer.alloc(parents * 32);
    for (let p = 0; p < parents; p++) {
      at(2 * p).copy(NODE, 1);
      at(2 * p + 1).copy(NODE, 33);
      above.latin1Write(hash('sha256', NODE, 'latin1'), p * 32);
    }
    frontier[level] = total % 2 === 1 ? Buffer.from(at(total - 1)) : null;
    if (parents > 0) upper.push(above);
    nodes = above;
    n = parents;
  }
  treeSize += count;
  return upper;
}
parentPort.on('message', (batch) => {
  if (batch === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    const leaves = Buffer.alloc(batch.ids.length * 32);
    for (let i = 0; i < batch.ids.length; i++) {
      const start = batch.offsets[i];
      const stop = batch.offsets[i + 1];
      let leaf;
      if (start === 0) {
        leaf = hash('sha256', Buffer.concat([Buffer.of(0), bytes.subarray(0, stop)]), 'latin1');
      } else {
        // The 0x00 prefix in the byte before the event (this thread owns its copy): hashed in place.
        const borrowed = bytes[start - 1];
        bytes[start - 1] = 0;
        leaf = hash('sha256', new Uint8Array(bytes.buffer, bytes.byteOffset + start - 1, stop - start + 1), 'latin1');
        bytes[start - 1] = borrowed;
      }
      leaves.latin1Write(leaf, i * 32);
    }
    const upper = extend(batch.firstIndex, leaves, batch.ids.length);
    const recorded = record.immediate(batch, leaves);
    parentPort.postMessage({ leaves, upper, recorded });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error), code: error && error.code });
  }
});
parentPort.postMessage({ ready: true });
`;

class LeafWorker implements LeafSink {
  readonly #worker: Worker;
  readonly #pending: { resolve: (result: LeafResult) => void; reject: (error: unknown) => void }[] = [];
  readonly #ready: Promise<void>;
  readonly #exited: Promise<void>;
  #failure: unknown;

  constructor(path: string, tree: TreeFrontier) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path, sql: RUN_SQL, tree },
    });
    let opened!: () => void;
    this.#ready = new Promise((resolve, reject) => {
      opened = resolve;
      this.#worker.once('error', reject);
    });
    // Its rejection reaches the caller through ready() and every later submit().
    this.#ready.catch(() => {});
    this.#worker.on('message', (reply: Reply) => {
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
    return new Promise((resolve, reject) => {
      // Kept alive only while a batch is under way.
      if (this.#pending.length === 0) this.#worker.ref();
      this.#pending.push({ resolve, reject });
      this.#worker.postMessage(
        {
          firstIndex: batch.firstIndex,
          bytes: batch.bytes,
          offsets: batch.offsets,
          positions: batch.positions,
          ids: batch.ids,
          streams: batch.streams,
          revisions: batch.revisions,
          followed: batch.followed === undefined ? null : batch.followed.toString(),
        },
        // Handed over rather than copied when they are whole buffers of their own (the caller is done
        // with them): the worker hashes in place.
        [batch.bytes, batch.offsets].filter(ownsItsBuffer).map((view) => view.buffer as ArrayBuffer),
      );
    });
  }

  async close(): Promise<void> {
    if (this.#failure === undefined) {
      this.#worker.ref();
      this.#worker.postMessage('close');
    }
    await this.#exited;
  }

  #settle(reply: Exclude<Reply, { ready: true }>): void {
    const pending = this.#pending.shift();
    if (this.#pending.length === 0) this.#worker.unref();
    if (!pending) return;
    if ('leaves' in reply) {
      const buffer = (view: Uint8Array) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
      pending.resolve({
        leaves: buffer(reply.leaves),
        upper: reply.upper.map(buffer),
        recorded: reply.recorded,
      });
    } else {
      pending.reject(
        new BzzzError('AUDIT_DB_UNAVAILABLE', `recording trail leaves failed: ${reply.error}`, {
          ...(reply.code ? { code: reply.code } : {}),
        }),
      );
    }
  }

  #failAll(error: unknown): void {
    this.#failure ??= error;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}
