import Database from 'better-sqlite3';

/** WAL frames after which a commit copies them into the database file (SQLite's default: 1000). */
export const READ_MODEL_AUTOCHECKPOINT = 10_000;

/**
 * The read-model database beside the event store (whichever store is used): the projections' views and
 * checkpoints. WAL with synchronous=NORMAL: a power loss may drop the last batches, never tear one, and
 * the runner re-applies what the checkpoint does not cover.
 *
 * Cheaper writes, since each batch dirties a few pages spread over the views: the WAL is copied into
 * the file every {@link READ_MODEL_AUTOCHECKPOINT} frames (a page the batches write again and again is
 * copied once; the WAL file grows to about 40 MB), and the savepoints each view's part of a batch runs
 * in keep their journals in memory (temp_store=MEMORY) instead of a temporary file.
 */
export function openReadModelDatabase(path: string): Database.Database {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma(`wal_autocheckpoint = ${READ_MODEL_AUTOCHECKPOINT}`);
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name         TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL,
    position     TEXT,
    events       INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
  ) WITHOUT ROWID`);
  return db;
}
