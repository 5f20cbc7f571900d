import { BzzzError, isBzzzError } from '../errors.js';
import type { JsonObject } from '../events/json.js';
import { HASH_SIZE } from './rfc6962-hash.js';
import type { TreeFrontier } from './tree-edge.js';

/**
 * How the trail writer's thread and its leaf worker (leaf-worker.ts, leaf-worker-main.ts) talk. A batch
 * travels in shared memory that both keep for the worker's lifetime, so that handing it over allocates,
 * copies and transfers as little as possible on the writer's thread (the node's main thread, between
 * its group commits): the writer fills the request region and posts a small message; the worker
 * hashes, records, writes the leaves and the interior nodes they complete into the reply region and
 * answers with their counts. One batch at a time: neither region is touched by the other side
 * meanwhile.
 */

export interface LeafWorkerData {
  /** The audit database (its file exists: the writer opened it first). */
  path: string;
  trail: string;
  /** The writer's tree at the start: the worker continues its right edge. */
  frontier: TreeFrontier;
}

/** Writer → worker: a batch (in `request`, laid out as {@link requestLayout} says), or 'close'. */
export interface BatchMessage {
  count: number;
  /** Trail index of the batch's first event. */
  firstIndex: number;
  bytesLength: number;
  /** The events' ids, then their streams, back to back (their lengths are in the request region). */
  ids: string;
  streams: string;
  /** The `$all` position the batch brings the writer to, as a decimal string, or null. */
  followed: string | null;
  /** The regions, when the writer replaced them with larger ones (else the ones last sent). */
  request?: SharedArrayBuffer;
  reply?: SharedArrayBuffer;
}

/** Worker → writer. */
export type WorkerReply =
  | { ready: true }
  /** Done: recorded, and in the reply region, the leaves then `upper[k]` nodes of each level k + 1. */
  | { upper: number[] }
  | FailureReply;

/** A batch failed in a trail worker (this one, or store-file-feed-main.ts): the error, as it can travel. */
export interface FailureReply {
  error: string;
  code?: string;
  details?: JsonObject;
}

/** The failure reply of `error`, thrown in a worker. */
export function failureReply(error: unknown): FailureReply {
  if (isBzzzError(error)) return { error: error.message, code: error.code, details: error.details };
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(typeof (error as { code?: unknown })?.code === 'string'
      ? { details: { code: (error as { code: string }).code } }
      : {}),
  };
}

/** The error a failure reply stands for, on the writer's thread. */
export function failureError(reply: FailureReply): BzzzError {
  return reply.code !== undefined
    ? new BzzzError(reply.code, reply.error, reply.details ?? {})
    : new BzzzError('AUDIT_DB_UNAVAILABLE', `recording trail leaves failed: ${reply.error}`, {
        ...reply.details,
      });
}

/** Where each part of a batch of `count` events and `bytesLength` bytes lies in the request region. */
export interface RequestLayout {
  /** `count + 1` u32: event i is `bytes[offsets[i], offsets[i + 1])`. */
  offsets: number;
  /** `count` i64: each event's `$all` position. */
  positions: number;
  /** `count` f64: each event's stream revision. */
  revisions: number;
  /** `2 count` u32: the length of each id, then of each stream (UTF-16 units). */
  lengths: number;
  /** The events' canonical bytes, after one spare byte, so every event is hashed in place (0x00 ‖ bytes). */
  bytes: number;
  size: number;
}

export function requestLayout(count: number, bytesLength: number): RequestLayout {
  const positions = align8(4 * (count + 1));
  const revisions = positions + 8 * count;
  const lengths = revisions + 8 * count;
  const bytes = lengths + 8 * count + 1;
  return { offsets: 0, positions, revisions, lengths, bytes, size: bytes + bytesLength };
}

/**
 * Room the reply to a batch of `count` leaves needs: the leaves, and the interior nodes they complete
 * (at most one per leaf plus one per level, and a tree has at most 33 levels).
 */
export function replySize(count: number): number {
  return HASH_SIZE * (2 * count + 64);
}

/** A region of at least `size` bytes, with room to grow, so that it is seldom replaced. */
export function sharedRegion(size: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(size))));
}

function align8(offset: number): number {
  return (offset + 7) & ~7;
}
