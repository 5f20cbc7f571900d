import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { isBzzzError } from '../errors.js';
import {
  type BatchMessage,
  type LeafWorkerData,
  requestLayout,
  type WorkerReply,
} from './leaf-worker-protocol.js';
import { HASH_SIZE, leafHashInPlace } from './rfc6962-hash.js';
import { TrailDb } from './trail-db.js';
import { TreeEdge } from './tree-edge.js';

/**
 * The trail writer's leaf worker (started by leaf-worker.ts): for each batch, in order, hashes the
 * events' leaves, records them with the position followed in the audit database (its own connection,
 * through TrailDb, so exactly as the writer's thread would, comparing with what another writer of
 * the node may have recorded meanwhile), and computes the interior nodes they complete from the
 * writer's tree's right edge. The writer extends its tree only with what this reports done.
 */

/**
 * How much lower than the node's this thread runs (nice, capped at 19): the trail is background work.
 * At the node's own priority, each batch posted woke this thread onto the main thread's core whenever
 * the other one was busy and preempted it, between its group commits, for as long as the batch took
 * (measured: a batch's post took as long as its hashing and inserts). Lower, it runs when a core is
 * free (the main thread waits on every group commit's fsync) and still gets its share of a busy one,
 * so it keeps up with the log instead of falling behind under load.
 */
const NICE_INCREMENT = 10;

/** Buffer#latin1Write: what write(…, 'latin1') calls, without its argument juggling (not in @types/node). */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

const port = parentPort!;
lowerPriority();
const { path, trail, frontier } = workerData as LeafWorkerData;
const db =
  TrailDb.openExisting(path, trail) ??
  (() => {
    throw new Error(`the audit database ${path} is gone`);
  })();
const edge = new TreeEdge(frontier);
let request: SharedArrayBuffer | undefined;
let reply: SharedArrayBuffer | undefined;

/** Lowers this thread's priority (Linux: setpriority on a thread id affects that thread only). */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0)
      setPriority(tid, Math.min(19, getPriority(tid) + NICE_INCREMENT));
  } catch {
    // Elsewhere (no /proc/thread-self) it runs at the node's priority.
  }
}

function handle(message: BatchMessage): WorkerReply {
  request = message.request ?? request;
  reply = message.reply ?? reply;
  const { count, firstIndex } = message;
  if (firstIndex !== edge.size) {
    throw new Error(`the batch starts at trail index ${firstIndex}, not ${edge.size}`);
  }
  const layout = requestLayout(count, message.bytesLength);
  const offsets = new Uint32Array(request!, layout.offsets, count + 1);
  // From the spare byte on: each event has a byte before it to borrow for the 0x00 prefix.
  const bytes = Buffer.from(request!, layout.bytes - 1, message.bytesLength + 1);
  const out = Buffer.from(reply!);
  for (let i = 0; i < count; i++) {
    (out as Latin1Writable).latin1Write(
      leafHashInPlace(bytes, offsets[i]! + 1, offsets[i + 1]! + 1),
      i * HASH_SIZE,
    );
  }
  const leaves = out.subarray(0, count * HASH_SIZE);
  const lengths = new Uint32Array(request!, layout.lengths, 2 * count);
  db.recordPacked(
    {
      firstIndex,
      leaves,
      positions: new BigInt64Array(request!, layout.positions, count),
      ids: split(message.ids, lengths, 0, count),
      streams: split(message.streams, lengths, count, count),
      revisions: Array.from(new Float64Array(request!, layout.revisions, count)),
    },
    message.followed === null ? undefined : BigInt(message.followed),
  );
  // Only what is recorded goes into the tree.
  return { upper: edge.extend(leaves, count, out, count * HASH_SIZE) };
}

/** The `count` strings, back to back in `joined`, whose lengths are `lengths[from…]`. */
function split(joined: string, lengths: Uint32Array, from: number, count: number): string[] {
  const parts = new Array<string>(count);
  for (let i = 0, at = 0; i < count; i++) {
    const length = lengths[from + i]!;
    parts[i] = joined.slice(at, at + length);
    at += length;
  }
  return parts;
}

port.on('message', (message: BatchMessage | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  let answer: WorkerReply;
  try {
    answer = handle(message);
  } catch (error) {
    answer = isBzzzError(error)
      ? { error: error.message, code: error.code, details: error.details }
      : {
          error: error instanceof Error ? error.message : String(error),
          ...(typeof (error as { code?: unknown })?.code === 'string'
            ? { details: { code: (error as { code: string }).code } }
            : {}),
        };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true } satisfies WorkerReply);
