import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BzzzError } from '../errors.js';
import { bytesEqual, toHex } from './trail.js';

/** File, in the data directory, of the local audit database (the recorded trail leaves). */
export const AUDIT_DB_FILE = 'audit.db';

export function auditDbPath(dataDir: string): string {
  return join(dataDir, AUDIT_DB_FILE);
}

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

interface LeafRow {
  trail_index: number;
  event_id: string;
  position: string;
  stream: string;
  revision: number;
  leaf_hash: Buffer;
}

const DDL = `
CREATE TABLE IF NOT EXISTS trail_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trail_leaves (
  trail_index INTEGER PRIMARY KEY,
  event_id    TEXT    NOT NULL,
  position    TEXT    NOT NULL,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  leaf_hash   BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS trail_leaves_by_stream ON trail_leaves (stream, revision);
-- Event ids are random UUIDs: an index on them put every recorded leaf on a random page, doubling to
-- tripling the cost of recording. Lookups go by (stream, revision) instead; drop it where it was made.
DROP INDEX IF EXISTS trail_leaves_by_event;
`;

const COLUMNS = 'trail_index, event_id, position, stream, revision, leaf_hash';

/**
 * The local audit database beside the event store: for each trail index, the event it was computed
 * from and its leaf hash, plus how far the trail writer has followed `$all`. It is a cache of what the
 * log implies (delete it and the writer rebuilds it from the log), kept so that verification can name
 * the event that changed rather than only the checkpoint whose root no longer matches.
 */
export class TrailDb {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #byIndex: Database.Statement<[number], LeafRow>;
  readonly #byEvent: Database.Statement<[string], LeafRow>;
  readonly #byStream: Database.Statement<[string, number], LeafRow>;
  readonly #page: Database.Statement<[number, number], LeafRow>;
  readonly #count: Database.Statement<[], { n: number }>;
  readonly #record: (leaves: readonly LeafRecord[], followed: bigint | undefined) => void;

  private constructor(
    db: Database.Database,
    readonly trail: string,
  ) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO trail_leaves (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trail_index) DO NOTHING`,
    );
    this.#setMeta = db.prepare(
      'INSERT INTO trail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#getMeta = db.prepare('SELECT value FROM trail_meta WHERE key = ?');
    this.#byIndex = db.prepare(`SELECT ${COLUMNS} FROM trail_leaves WHERE trail_index = ?`);
    this.#byEvent = db.prepare(
      `SELECT ${COLUMNS} FROM trail_leaves WHERE event_id = ? ORDER BY trail_index LIMIT 1`,
    );
    this.#byStream = db.prepare(
      `SELECT ${COLUMNS} FROM trail_leaves WHERE stream = ? AND revision = ? ORDER BY trail_index LIMIT 1`,
    );
    this.#page = db.prepare(
      `SELECT ${COLUMNS} FROM trail_leaves WHERE trail_index >= ? ORDER BY trail_index LIMIT ?`,
    );
    this.#count = db.prepare('SELECT count(*) AS n FROM trail_leaves');
    this.#record = db.transaction((leaves: readonly LeafRecord[], followed: bigint | undefined) => {
      for (const leaf of leaves) this.#insertLeaf(leaf);
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
      return new TrailDb(db, trail);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Number of recorded leaves (the trail size the writer has reached). */
  get count(): number {
    return this.#count.get()!.n;
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
    this.#record(leaves, followed);
  }

  #insertLeaf(leaf: LeafRecord): void {
    const result = this.#insert.run(
      leaf.index,
      leaf.eventId,
      leaf.position.toString(),
      leaf.stream,
      leaf.revision,
      Buffer.from(leaf.leaf),
    );
    if (result.changes === 1) return;
    const existing = this.at(leaf.index)!;
    if (existing.eventId !== leaf.eventId || !bytesEqual(existing.leaf, leaf.leaf)) {
      throw new BzzzError(
        'AUDIT_DB_CONFLICT',
        `trail index ${leaf.index} is recorded as event ${existing.eventId} (leaf ${toHex(existing.leaf)}), ` +
          `not ${leaf.eventId} (leaf ${toHex(leaf.leaf)})`,
        { index: leaf.index },
      );
    }
  }

  at(index: number): LeafRecord | undefined {
    return toRecord(this.#byIndex.get(index));
  }

  /** The leaf recorded for an event id. Not indexed (a scan): prefer byStreamRevision, then compare ids. */
  byEventId(eventId: string): LeafRecord | undefined {
    return toRecord(this.#byEvent.get(eventId));
  }

  byStreamRevision(stream: string, revision: number): LeafRecord | undefined {
    return toRecord(this.#byStream.get(stream, revision));
  }

  /** Recorded leaves from index `from` on, in index order, at most `limit`. */
  page(from: number, limit: number): LeafRecord[] {
    return this.#page.all(from, limit).map((row) => toRecord(row)!);
  }

  /** Every recorded leaf hash in index order (to rebuild the tree). */
  *leafHashes(pageSize = 10_000): Generator<Uint8Array> {
    for (let from = 0; ; from += pageSize) {
      const rows = this.page(from, pageSize);
      for (const [i, row] of rows.entries()) {
        if (row.index !== from + i) {
          throw new BzzzError(
            'AUDIT_DB_CONFLICT',
            `trail index ${from + i} is missing from the audit database`,
          );
        }
        yield row.leaf;
      }
      if (rows.length < pageSize) return;
    }
  }

  close(): void {
    this.#db.close();
  }
}

function toRecord(row: LeafRow | undefined): LeafRecord | undefined {
  return (
    row && {
      index: row.trail_index,
      eventId: row.event_id,
      position: BigInt(row.position),
      stream: row.stream,
      revision: row.revision,
      leaf: new Uint8Array(row.leaf_hash),
    }
  );
}
