import { parentPort, workerData } from 'node:worker_threads';
import type { CanonicalPage } from '../events/canonical-reads.js';
import { StoreFileReader } from '../events/sqlite/store-file-reader.js';
import {
  NEXT_RANGE,
  type PageMessage,
  type PagesData,
  type PagesReply,
  type PagesRequest,
  TAKEN_RANGES,
} from './store-file-pages-protocol.js';
import { lowerThisThreadsPriority } from './worker-priority.js';

/**
 * Reads, for verification on another thread (store-file-pages.ts), canonical pages of `$all` from the
 * embedded store's file on its own read-only connection (store-file-reader.ts: the same queries as
 * the store's `readAllCanonical`), so that composing them in SQL runs beside the hashing. Answers
 * `ready` once the file is open; told where the ranges start, it claims and reads them one by one
 * (store-file-pages-protocol.ts), at most `depth` ahead of the reader, until one reaches the end of
 * the log. It runs below the node's priority (worker-priority.ts).
 */

const port = parentPort!;
// Help, not a competitor: the reader never waits for this thread (it reads the pages itself then), so
// this one should only take a core the reader's thread does not need.
lowerThisThreadsPriority();
const data = workerData as PagesData;
const claims = new Int32Array(data.claims);
const reader = StoreFileReader.open(data.storeFile);
/** Where range 0 starts (undefined: not told yet). */
let start: bigint | undefined;
/** A range read reached the end of the log: nothing after it is wanted. */
let ended = false;
let closed = false;
let scheduled = false;

/** Claims and reads the next range in a later turn, so that a `close` or `took` in between is seen. */
function schedule(): void {
  if (scheduled || closed || ended || start === undefined) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    if (closed || ended || start === undefined) return;
    const next = Atomics.load(claims, NEXT_RANGE);
    // As far ahead as allowed: `took` wakes this again.
    if (next - Atomics.load(claims, TAKEN_RANGES) >= data.depth) return;
    // Else the reader has just claimed it: try the one after.
    if (Atomics.compareExchange(claims, NEXT_RANGE, next, next + 1) === next) {
      readRange(next, start + BigInt(next) * BigInt(data.pageSize));
    }
    schedule();
  });
}

function readRange(range: number, from: bigint): void {
  let reply: PagesReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const page = reader.canonicalPage({
      author: data.author,
      excludeStreamPrefixes: data.excludeStreamPrefixes,
      fromPosition: from,
      maxCount: data.pageSize,
    });
    const message = messageOf(page);
    transfer.push(message.positions.buffer as ArrayBuffer, message.offsets.buffer as ArrayBuffer);
    if (message.bytes.byteLength === message.bytes.buffer.byteLength) {
      transfer.push(message.bytes.buffer as ArrayBuffer);
    }
    reply = { range, page: message };
    if (page.scanned < data.pageSize) ended = true;
  } catch (error) {
    reply = { range, error: error instanceof Error ? error.message : String(error) };
    ended = true;
  }
  port.postMessage(reply, transfer);
}

function messageOf(page: CanonicalPage): PageMessage {
  const { composed } = page;
  // The page's own bytes when they are a buffer of their own (then transferred), else a copy.
  const bytes =
    composed.bytes.byteOffset === 0 && composed.bytes.byteLength === composed.bytes.buffer.byteLength
      ? new Uint8Array(composed.bytes.buffer, 0, composed.bytes.byteLength)
      : new Uint8Array(composed.bytes);
  return {
    scanned: page.scanned,
    last: page.last === undefined ? null : page.last.toString(),
    count: composed.count,
    positions: BigInt64Array.from(composed.positions),
    bytes,
    offsets: composed.offsets.slice(0, composed.count + 1),
    parsed: page.parsed,
    parsedAfter: page.parsedAfter,
    fromStoredText: page.fromStoredText,
  };
}

port.on('message', (message: PagesRequest) => {
  if (closed) return;
  if (message === 'close') {
    closed = true;
    reader.close();
    port.postMessage({ closed: true } satisfies PagesReply);
    port.close();
    return;
  }
  if (message !== 'took') start = BigInt(message.start);
  schedule();
});
port.postMessage({ ready: true } satisfies PagesReply);
