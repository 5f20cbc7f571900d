import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BzzzError } from '../errors.js';
import { HASH_SIZE } from './rfc6962-hash.js';
import {
  checkRun,
  conflictError,
  type LeafRecord,
  type LeafRun,
  type PackedLeaves,
  packedOf,
  positionAt,
  recordsOf,
  type RunRow,
  runRowOf,
} from './leaf-runs.js';
import { bytesEqual } from './trail.js';

/** File, in the data directory, of the local audit database (the recorded trail leaves). */
export const AUDIT_DB_FILE = 'audit.db';

export function auditDbPath(dataDir: string): string {
  return join(dataDir, AUDIT_DB_FILE);
}

/**
 * Schema 2: the leaves are kept in runs, one row per group the writer recorded (a page of the log,
 * hundreds of events when under load), not one row per leaf: a row per leaf, with its index, cost the
 * writer more than everything else it does per event. Schema 1's `trail_leaves` is converted on open.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS trail_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trail_runs (
  first_index INTEGER PRIMARY KEY, -- trail index of the run's first leaf
  count       INTEGER NOT NULL,
  leaves      BLOB    NOT NULL,    -- count × 32 bytes: the leaf hashes, in trail order
  positions   BLOB    NOT NULL,    -- count × 8 bytes: each event's $all position, i64 big-endian
  events      TEXT    NOT NULL     -- JSON [[event ids], [streams], [revisions]]
);
`;

const RUN_COLUMNS = 'first_index, count, leaves, positions, events';

/**
 * The statements that append a run and the position followed (the trail writer's leaf worker records
 * through a TrailDb of its own, on its own connection: leaf-worker-main.ts).
 */
const RUN_SQL = {
  insertRun: `INSERT INTO trail_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?)`,
  end: 'SELECT coalesce(max(first_index + count), 0) AS end FROM (SELECT first_index, count FROM trail_runs ORDER BY first_index DESC LIMIT 1)',
  getMeta: 'SELECT value FROM trail_meta WHERE key = ?',
  setMeta:
    'INSERT INTO trail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
};
const SCHEMA_1_PAGE = 10_000;

/**
 * The local audit database beside the event store: for each trail index, the event it was computed
 * from and its leaf hash, plus how far the trail writer has followed `$all`. It is a cache of what the
 * log implies (delete it and the writer rebuilds it from the log), kept so that verification can name
 * the event that changed rather than only the checkpoint whose root no longer matches.
 */
export class TrailDb {
  readonly #db: Database.Database;
  readonly #insertRun: Database.Statement<[number, number, Buffer, Buffer, string]>;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  /** The run holding trail index ?, or the last one before it: with and without its events. */
  readonly #runWithEvents: Database.Statement<[number], RunRow>;
  readonly #runLeaves: Database.Statement<[number], Omit<RunRow, 'events'>>;
  readonly #runAfter: Database.Statement<[number], { first_index: number }>;
  readonly #end: Database.Statement<[], { end: number }>;
  readonly #record: Database.Transaction<(packed: PackedLeaves, followed: bigint | undefined) => void>;
  /** (stream, revision) → trail index, built on first use from what is recorded, then kept up. */
  #byName: Map<string, number> | undefined;
  #byNameEnd = 0;

  private constructor(
    db: Database.Database,
    /** The file (or ':memory:'). */
    readonly path: string,
    readonly trail: string,
  ) {
    this.#db = db;
    this.#insertRun = db.prepare(RUN_SQL.insertRun);
    this.#setMeta = db.prepare(RUN_SQL.setMeta);
    this.#getMeta = db.prepare(RUN_SQL.getMeta);
    const runAt = (columns: string) =>
      `SELECT ${columns} FROM trail_runs WHERE first_index <= ? ORDER BY first_index DESC LIMIT 1`;
    this.#runWithEvents = db.prepare(runAt(RUN_COLUMNS));
    this.#runLeaves = db.prepare(runAt('first_index, count, leaves, positions'));
    this.#runAfter = db.prepare(
      'SELECT first_index FROM trail_runs WHERE first_index > ? ORDER BY first_index LIMIT 1',
    );
    this.#end = db.prepare(RUN_SQL.end);
    this.#record = db.transaction((packed: PackedLeaves, followed: bigint | undefined) => {
      this.#recordNow(packed);
      if (followed !== undefined) {
        const current = this.followed;
        if (current === undefined || followed > current) this.#setMeta.run('followed', followed.toString());
      }
    });
  }

  /** Opens (creating if needed) the audit database of trail `trail`. */
  static open(path: string, trail: string): TrailDb {
    const db = new Database(path);
    return TrailDb.#init(db, path, trail);
  }

  /** Opens an existing audit database, or returns undefined when there is none at `path`. */
  static openExisting(path: string, trail: string): TrailDb | undefined {
    if (!existsSync(path)) return undefined;
    return TrailDb.#init(new Database(path, { fileMustExist: true }), path, trail);
  }

  static #init(db: Database.Database, path: string, trail: string): TrailDb {
    try {
      if (path !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(DDL);
      const stored = db
        .prepare<[], { value: string }>("SELECT value FROM trail_meta WHERE key = 'trail'")
        .get();
      if (stored === undefined) {
        db.prepare("INSERT INTO trail_meta (key, value) VALUES ('trail', ?)").run(trail);
      } else if (stored.value !== trail) {
        throw new BzzzError(
          'AUDIT_DB_MISMATCH',
          `audit database ${path} records the trail of ${stored.value}, not of ${trail}`,
          { path, recorded: stored.value, trail },
        );
      }
      const trailDb = new TrailDb(db, path, trail);
      trailDb.#convertSchema1();
      return trailDb;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Moves the leaves of a schema 1 database (a row per leaf in `trail_leaves`) into runs. */
  #convertSchema1(): void {
    const db = this.#db;
    const old = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trail_leaves'")
      .get();
    if (old === undefined) return;
    const page = db.prepare<[number, number], LeafRow>(
      `SELECT trail_index, event_id, position, stream, revision, leaf_hash FROM trail_leaves
       WHERE trail_index >= ? ORDER BY trail_index LIMIT ?`,
    );
    db.transaction(() => {
      for (let from = 0; ; from += SCHEMA_1_PAGE) {
        const rows = page.all(from, SCHEMA_1_PAGE);
        if (rows.length > 0) {
          this.#recordNow(
            packedOf(
              rows.map((row) => ({
                index: row.trail_index,
                eventId: row.event_id,
                position: BigInt(row.position),
                stream: row.stream,
                revision: row.revision,
                leaf: row.leaf_hash,
              })),
            ),
          );
        }
        if (rows.length < SCHEMA_1_PAGE) break;
      }
      db.exec('DROP TABLE trail_leaves');
    }).immediate();
  }

  /** Number of recorded leaves (the trail size the writer has reached). */
  get count(): number {
    return this.#end.get()!.end;
  }

  /** The last `$all` position the writer has processed, if any. */
  get followed(): bigint | undefined {
    const value = this.#getMeta.get('followed')?.value;
    return value === undefined ? undefined : BigInt(value);
  }

  /**
   * Records leaves (their indexes must continue the recorded ones) and the position followed, in one
   * transaction. Recording a leaf already present is a no-op if it is the same leaf, an error otherwise.
   */
  record(leaves: readonly LeafRecord[], followed?: bigint): void {
    this.#record.immediate(packedOf(leaves), followed);
  }

  /** `record` for leaves already packed (the trail writer's). */
  recordPacked(packed: PackedLeaves, followed?: bigint): void {
    this.#record.immediate(packed, followed);
  }

  #recordNow(packed: PackedLeaves): void {
    const count = packed.ids.length;
    if (count === 0) return;
    const end = this.count;
    if (packed.firstIndex > end) {
      throw new BzzzError(
        'AUDIT_DB_CONFLICT',
        `trail index ${packed.firstIndex} cannot be recorded: only ${end} leaves are, so ${end} comes next`,
        { index: packed.firstIndex },
      );
    }
    // Leaves already recorded (another writer of this node got there first) must be the same ones.
    const known = Math.min(count, end - packed.firstIndex);
    for (const recorded of this.#records(packed.firstIndex, known)) {
      const i = recorded.index - packed.firstIndex;
      const leaf = packed.leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
      if (recorded.eventId !== packed.ids[i] || !bytesEqual(recorded.leaf, leaf)) {
        throw conflictError(recorded.index, recorded, { eventId: packed.ids[i]!, leaf });
      }
    }
    if (known === count) return;
    this.#insertRun.run(...runRowOf(packed, known));
  }

  at(index: number): LeafRecord | undefined {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const row = this.#runWithEvents.get(index);
    if (row === undefined || index >= row.first_index + row.count) return undefined;
    return recordsOf(row, index, 1)[0];
  }

  /** The leaf recorded for the event at `revision` of `stream` (the first one, should there be two). */
  byStreamRevision(stream: string, revision: number): LeafRecord | undefined {
    const byName = (this.#byName ??= new Map());
    const end = this.count;
    for (const record of this.#records(this.#byNameEnd, end - this.#byNameEnd)) {
      const key = nameKey(record.stream, record.revision);
      if (!byName.has(key)) byName.set(key, record.index);
    }
    this.#byNameEnd = Math.max(this.#byNameEnd, end);
    const index = byName.get(nameKey(stream, revision));
    return index === undefined ? undefined : this.at(index);
  }

  /** Recorded leaves from index `from` on, in index order, at most `limit`. */
  page(from: number, limit: number): LeafRecord[] {
    return [...this.#records(from, limit)];
  }

  /**
   * The recorded leaves of trail indexes `from` to `from + limit - 1` (fewer at the end), packed.
   * Throws AUDIT_DB_CONFLICT when the runs do not follow one another.
   */
  leafRun(from: number, limit: number): LeafRun {
    const positions: bigint[] = [];
    const chunks: Buffer[] = [];
    for (const { row, skip, take } of this.#runs(from, limit, false)) {
      chunks.push(row.leaves.subarray(skip * HASH_SIZE, (skip + take) * HASH_SIZE));
      for (let i = skip; i < skip + take; i++) positions.push(positionAt(row, i));
    }
    return { positions, leaves: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
  }

  /** Every recorded leaf hash in index order (to rebuild the tree), as latin1 strings (`appendLatin1`). */
  *leafHashes(pageSize = 10_000): Generator<string> {
    for (let from = 0; ; from += pageSize) {
      const { leaves, positions } = this.leafRun(from, pageSize);
      for (let i = 0; i < positions.length; i++) {
        yield leaves.toString('latin1', i * HASH_SIZE, (i + 1) * HASH_SIZE);
      }
      if (positions.length < pageSize) return;
    }
  }

  /** The records of `limit` indexes from `from` on (fewer at the end), in order. */
  *#records(from: number, limit: number): Generator<LeafRecord> {
    for (const { row, skip, take } of this.#runs(from, limit, true)) {
      yield* recordsOf(row, row.first_index + skip, take);
    }
  }

  /**
   * The runs holding indexes `from` to `from + limit - 1` (up to the last recorded), each with the
   * part of it wanted, read one at a time (a run can be thousands of leaves), with their events or not.
   * Throws AUDIT_DB_CONFLICT when an index in between is missing or a run is malformed.
   */
  *#runs<E extends boolean>(
    from: number,
    limit: number,
    withEvents: E,
  ): Generator<{ row: E extends true ? RunRow : Omit<RunRow, 'events'>; skip: number; take: number }> {
    const statement = withEvents ? this.#runWithEvents : this.#runLeaves;
    const end = from + limit;
    for (let next = from; next < end;) {
      const row = statement.get(next) as (E extends true ? RunRow : Omit<RunRow, 'events'>) | undefined;
      if (row === undefined || row.first_index + row.count <= next) {
        if (this.#runAfter.get(next) === undefined) return;
        throw new BzzzError('AUDIT_DB_CONFLICT', `trail index ${next} is missing from the audit database`);
      }
      checkRun(row);
      const skip = next - row.first_index;
      const take = Math.min(row.count - skip, end - next);
      yield { row, skip, take };
      next += take;
    }
  }

  close(): void {
    this.#db.close();
  }
}

interface LeafRow {
  trail_index: number;
  event_id: string;
  position: string;
  stream: string;
  revision: number;
  leaf_hash: Buffer;
}

function nameKey(stream: string, revision: number): string {
  return `${revision}:${stream}`;
}
