import { BzzzError } from '../errors.js';
import { HASH_SIZE } from './rfc6962-hash.js';
import { toHex } from './trail.js';

/**
 * How the audit database keeps its leaves: in runs, one row per group the writer recorded, with the
 * hashes side by side, the positions as i64 big-endian and the events as JSON arrays (trail-db.ts has
 * the table; the trail writer's leaf worker writes them through it from its own thread).
 */

/** One recorded leaf: trail index → the event it was computed from and its RFC 6962 leaf hash. */
export interface LeafRecord {
  index: number;
  eventId: string;
  /** `$all` position of the event when it was recorded (a local fact: other stores number differently). */
  position: bigint;
  stream: string;
  revision: number;
  leaf: Uint8Array;
}

/** Recorded leaves of consecutive trail indexes, packed: their hashes side by side, 32 bytes each. */
export interface LeafRun {
  positions: bigint[];
  leaves: Buffer;
}

/** Leaves to record, packed: leaf i is `leaves[32 i, 32 i + 32)` and has trail index `firstIndex + i`. */
export interface PackedLeaves {
  firstIndex: number;
  leaves: Buffer;
  positions: ArrayLike<bigint>;
  ids: readonly string[];
  streams: readonly string[];
  revisions: readonly number[];
}

/** A run's `events` column: the events' ids, streams and revisions, as three JSON arrays. */
type RunEvents = [ids: readonly string[], streams: readonly string[], revisions: readonly number[]];

export interface RunRow {
  first_index: number;
  count: number;
  leaves: Buffer;
  positions: Buffer;
  events: string;
}

/** Bytes per recorded position: signed 64-bit big-endian (KurrentDB's are signed longs). */
const POSITION_SIZE = 8;

/** The row that records `packed` from its leaf `known` on (the ones before it are already recorded). */
export function runRowOf(
  packed: PackedLeaves,
  known: number,
): [firstIndex: number, count: number, leaves: Buffer, positions: Buffer, events: string] {
  const count = packed.ids.length;
  const positions = Buffer.alloc((count - known) * POSITION_SIZE);
  for (let i = known; i < count; i++) {
    positions.writeBigInt64BE(packed.positions[i]!, (i - known) * POSITION_SIZE);
  }
  const part = <T>(list: readonly T[]) => (known === 0 ? list : list.slice(known));
  const events: RunEvents = [part(packed.ids), part(packed.streams), part(packed.revisions)];
  return [
    packed.firstIndex + known,
    count - known,
    packed.leaves.subarray(known * HASH_SIZE, count * HASH_SIZE),
    positions,
    JSON.stringify(events),
  ];
}

/** The `$all` position of a run's leaf `i`. */
export function positionAt(row: Pick<RunRow, 'positions'>, i: number): bigint {
  return row.positions.readBigInt64BE(i * POSITION_SIZE);
}

/** Trail index `index` is already recorded as another event or leaf. */
export function conflictError(
  index: number,
  recorded: { eventId: string; leaf: Uint8Array },
  given: { eventId: string; leaf: Uint8Array },
): BzzzError {
  return new BzzzError(
    'AUDIT_DB_CONFLICT',
    `trail index ${index} is recorded as event ${recorded.eventId} (leaf ${toHex(recorded.leaf)}), ` +
      `not ${given.eventId} (leaf ${toHex(given.leaf)})`,
    { index },
  );
}

export function packedOf(leaves: readonly LeafRecord[]): PackedLeaves {
  leaves.forEach((leaf, i) => {
    if (leaf.index !== (leaves[0]?.index ?? 0) + i) {
      throw new BzzzError('AUDIT_DB_CONFLICT', `trail index ${leaf.index} does not follow the one before it`);
    }
    if (leaf.leaf.length !== HASH_SIZE) {
      throw new BzzzError(
        'AUDIT_DB_CONFLICT',
        `the leaf of trail index ${leaf.index} is not ${HASH_SIZE} bytes`,
      );
    }
  });
  return {
    firstIndex: leaves[0]?.index ?? 0,
    leaves: Buffer.concat(leaves.map((leaf) => leaf.leaf)),
    positions: leaves.map((leaf) => leaf.position),
    ids: leaves.map((leaf) => leaf.eventId),
    streams: leaves.map((leaf) => leaf.stream),
    revisions: leaves.map((leaf) => leaf.revision),
  };
}

export function checkRun(row: Omit<RunRow, 'events'>): void {
  if (row.leaves.length !== row.count * HASH_SIZE || row.positions.length !== row.count * POSITION_SIZE) {
    throw new BzzzError('AUDIT_DB_CONFLICT', `the run at trail index ${row.first_index} is malformed`);
  }
}

/** `take` records of a run, from trail index `from`. */
export function recordsOf(row: RunRow, from: number, take: number): LeafRecord[] {
  checkRun(row);
  const [ids, streams, revisions] = JSON.parse(row.events) as RunEvents;
  if (ids.length !== row.count || streams.length !== row.count || revisions.length !== row.count) {
    throw new BzzzError('AUDIT_DB_CONFLICT', `the run at trail index ${row.first_index} is malformed`);
  }
  const records: LeafRecord[] = [];
  for (let index = from; index < from + take; index++) {
    const i = index - row.first_index;
    records.push({
      index,
      eventId: ids[i]!,
      position: positionAt(row, i),
      stream: streams[i]!,
      revision: revisions[i]!,
      leaf: new Uint8Array(row.leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)),
    });
  }
  return records;
}
