import Database from 'better-sqlite3';

export type Synchronous = 'FULL' | 'NORMAL' | 'OFF';

const SCHEMA_VERSION = 2;

/**
 * The embedded store's tables. `events.position` is the row id: assigned under SQLite's single write
 * lock, so it grows in commit order, and rows are never deleted, so it is never reused.
 * A stream's last revision is read from the (stream, revision) index, so a plain append writes one row
 * and no `streams` row: that table only holds streams with metadata or a delete (`hidden_before` is set
 * by a soft delete; `state` is 0 live, 1 soft-deleted, 2 tombstoned).
 * There is no index on `event_id` (version 1 had one, dropped in 2): random UUID keys double the pages
 * every commit writes, and idempotent retries are found by revision instead (see apply-append.ts).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream, revision);
DROP INDEX IF EXISTS events_by_id;
CREATE TABLE IF NOT EXISTS streams (
  stream        TEXT    PRIMARY KEY,
  state         INTEGER NOT NULL DEFAULT 0,
  hidden_before INTEGER NOT NULL DEFAULT 0,
  metadata      TEXT
) WITHOUT ROWID;
`;

/** Opens (creating if needed) the store file in WAL mode at the given durability. */
export function openStoreDatabase(
  path: string,
  synchronous: Synchronous,
  busyTimeoutMs = 5000,
): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.pragma('foreign_keys = OFF');
    // Big appends otherwise spill statement journals to temp files on every commit.
    db.pragma('temp_store = MEMORY');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `store file ${path} has schema version ${version}; this bzzz knows up to ${SCHEMA_VERSION}`,
      );
    }
    db.exec(DDL);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
