import Database from 'better-sqlite3';

/**
 * The read-model database beside the event store (whichever store is used): the projections' views and
 * checkpoints. WAL with synchronous=NORMAL: a power loss may drop the last batches, never tear one, and
 * the runner re-applies what the checkpoint does not cover.
 */
export function openReadModelDatabase(path: string): Database.Database {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name         TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL,
    position     TEXT,
    events       INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
  ) WITHOUT ROWID`);
  return db;
}
