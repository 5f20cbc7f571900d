import type { PackedLeaves } from './leaf-runs.js';
import { HASH_SIZE, leafHashInPlace } from './rfc6962-hash.js';
import type { TrailDb } from './trail-db.js';
import type { TreeEdge } from './tree-edge.js';

/** Buffer#latin1Write: what write(…, 'latin1') calls, without its argument juggling (not in @types/node). */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

/** Trail events to hash and record, in a worker thread: their canonical bytes, and what the database keeps. */
export interface EventsToRecord extends Omit<PackedLeaves, 'leaves'> {
  /** Event i is `bytes[offsets[i] + shift, offsets[i + 1] + shift)`. */
  bytes: Buffer;
  offsets: ArrayLike<number>;
  shift: number;
  /** The `$all` position the events bring the trail to, recorded with them. */
  followed: bigint | undefined;
}

/**
 * What the trail's worker threads (leaf-worker-main.ts, store-file-feed-main.ts) do with each batch:
 * hash the events' RFC 6962 leaves into `out`, record them with the position followed in the audit
 * database (through TrailDb, so exactly as the writer's thread would, comparing with what another
 * writer of the node may have recorded meanwhile), then compute, from the tree's right edge `edge`,
 * the interior nodes they complete, into `out` after the leaves. Returns how many nodes each level
 * got (MerkleTree.appendComputed). Only what is recorded extends the edge: a failure leaves it as it
 * was. `out` needs `replySize(count)` bytes (leaf-worker-protocol.ts).
 */
export function recordLeaves(db: TrailDb, edge: TreeEdge, events: EventsToRecord, out: Buffer): number[] {
  const count = events.ids.length;
  if (events.firstIndex !== edge.size) {
    throw new Error(`the batch starts at trail index ${events.firstIndex}, not ${edge.size}`);
  }
  const { bytes, offsets, shift } = events;
  for (let i = 0; i < count; i++) {
    (out as Latin1Writable).latin1Write(
      leafHashInPlace(bytes, offsets[i]! + shift, offsets[i + 1]! + shift),
      i * HASH_SIZE,
    );
  }
  const leaves = out.subarray(0, count * HASH_SIZE);
  db.recordPacked({ ...events, leaves }, events.followed);
  return edge.extend(leaves, count, out, count * HASH_SIZE);
}
