import Database from 'better-sqlite3';
import type { NewEvent } from '../../src/events/types.js';

/** An event to insert as-is: the reference does no checks beyond the unique index. */
export interface RawInsert {
  stream: string;
  revision: number;
  event: NewEvent;
}

interface RawRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

const DDL = `
CREATE TABLE events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_by_stream ON events (stream, revision);
`;

/**
 * The reference: plain better-sqlite3 on the same pragmas and columns as the embedded store, doing the
 * least work that gives the same durability (one fsync per transaction) and the same stored rows.
 */
export class RawSqliteReference {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, number, string, string, string, string, number]>;
  readonly #page: Database.Statement<[number, number], RawRow>;
  readonly #transaction: Database.Transaction<(inserts: readonly RawInsert[]) => void>;

  constructor(
    path: string,
    private readonly author: string,
  ) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(DDL);
    this.#insert = this.#db.prepare(
      'INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#page = this.#db.prepare(
      'SELECT position, stream, revision, event_id, type, data, metadata, recorded_at FROM events WHERE position >= ? ORDER BY position LIMIT ?',
    );
    this.#transaction = this.#db.transaction((inserts: readonly RawInsert[]) => {
      const now = Date.now();
      const occurredAt = new Date(now).toISOString();
      for (const { stream, revision, event } of inserts) {
        const id = event.id ?? '';
        // Same keys, in the same (sorted) order, as the store's metadata envelope.
        const metadata = {
          author: this.author,
          causationId: id,
          correlationId: id,
          occurredAt,
          schemaVersion: 1,
        };
        this.#insert.run(
          stream,
          revision,
          id,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(metadata),
          now,
        );
      }
    });
  }

  /** Inserts in one transaction; returns once committed (fsynced at synchronous=FULL). */
  commit(inserts: readonly RawInsert[]): void {
    this.#transaction(inserts);
  }

  /** A page of the ordered scan, delivered as the store would: data and metadata parsed. */
  readPage(fromPosition: number, limit: number): { position: number; data: unknown; metadata: unknown }[] {
    return this.#page.all(fromPosition, limit).map((row) => ({
      ...row,
      data: JSON.parse(row.data) as unknown,
      metadata: JSON.parse(row.metadata) as unknown,
    }));
  }

  close(): void {
    this.#db.close();
  }
}
