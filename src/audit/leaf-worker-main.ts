import { parentPort, workerData } from 'node:worker_threads';
import { recordLeaves } from './leaf-recording.js';
import {
  type BatchMessage,
  failureReply,
  type LeafWorkerData,
  requestLayout,
  type WorkerReply,
} from './leaf-worker-protocol.js';
import { TrailDb } from './trail-db.js';
import { TreeEdge } from './tree-edge.js';
import { lowerThisThreadsPriority } from './worker-priority.js';

/**
 * The trail writer's leaf worker (started by leaf-worker.ts): for each batch, in order, hashes the
 * events' leaves, records them with the position followed in the audit database and computes the
 * interior nodes they complete from the writer's tree's right edge (leaf-recording.ts). The writer
 * extends its tree only with what this reports done. It runs below the node's priority
 * (worker-priority.ts).
 */

const port = parentPort!;
lowerThisThreadsPriority();
const { path, trail, frontier } = workerData as LeafWorkerData;
const db =
  TrailDb.openExisting(path, trail) ??
  (() => {
    throw new Error(`the audit database ${path} is gone`);
  })();
const edge = new TreeEdge(frontier);
let request: SharedArrayBuffer | undefined;
let reply: SharedArrayBuffer | undefined;

function handle(message: BatchMessage): WorkerReply {
  request = message.request ?? request;
  reply = message.reply ?? reply;
  const { count, firstIndex } = message;
  const layout = requestLayout(count, message.bytesLength);
  const lengths = new Uint32Array(request!, layout.lengths, 2 * count);
  const upper = recordLeaves(
    db,
    edge,
    {
      firstIndex,
      // From the spare byte on: each event has a byte before it to borrow for the 0x00 prefix.
      bytes: Buffer.from(request!, layout.bytes - 1, message.bytesLength + 1),
      offsets: new Uint32Array(request!, layout.offsets, count + 1),
      shift: 1,
      positions: new BigInt64Array(request!, layout.positions, count),
      ids: split(message.ids, lengths, 0, count),
      streams: split(message.streams, lengths, count, count),
      revisions: Array.from(new Float64Array(request!, layout.revisions, count)),
      followed: message.followed === null ? undefined : BigInt(message.followed),
    },
    Buffer.from(reply!),
  );
  // Only what is recorded goes into the tree.
  return { upper };
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
    answer = failureReply(error);
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true } satisfies WorkerReply);
