import type { RecordedEvent } from '../events/types.js';

/**
 * How verification (verify-fast.ts, through store-file-pages.ts) and the worker that reads the
 * embedded store's file for it (store-file-pages-main.ts) talk. After the first page, which the reader
 * reads itself, the log is cut into ranges of `pageSize` positions from `start` on (positions are row
 * ids, dense: range j is the page read from `start + j·pageSize`). Whoever is free reads the next
 * range: the worker, at most `depth` ranges ahead of what the reader has taken, or the reader itself
 * when the worker has not claimed it yet (a busy machine can leave the worker waiting for a core).
 * Both claim a range in `claims` before reading it; only a range the worker is still reading when
 * the reader wants it, with nothing else left to claim, is read twice (the reader drops the
 * worker's copy).
 */

export interface PagesData {
  storeFile: string;
  author: string;
  excludeStreamPrefixes: string[];
  pageSize: number;
  /** Ranges read ahead of the reader at most. */
  depth: number;
  /** Int32 [next range not yet claimed, ranges the reader has taken]. */
  claims: SharedArrayBuffer;
}

/** Index of the next range not yet claimed, in `claims`. */
export const NEXT_RANGE = 0;
/** Index of the number of ranges the reader has taken, in `claims`. */
export const TAKEN_RANGES = 1;

/**
 * Reader → worker: the position range 0 starts at (a decimal string; once, after `ready`), a range
 * taken (the worker may read further ahead), or close.
 */
export type PagesRequest = { start: string } | 'took' | 'close';

/** A canonical page (canonical-reads.ts) as it travels. */
export interface PageMessage {
  scanned: number;
  last: string | null;
  count: number;
  positions: BigInt64Array;
  bytes: Uint8Array;
  offsets: Uint32Array;
  parsed: RecordedEvent[];
  parsedAfter: number[];
  fromStoredText: boolean;
}

/** Worker → reader. */
export type PagesReply =
  | { ready: true }
  | { range: number; page: PageMessage }
  | { range: number; error: string }
  | { closed: true };
