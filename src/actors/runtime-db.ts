import Database from 'better-sqlite3';

/**
 * The actor runtime's local cache beside whichever event store is used: snapshots, the index of
 * durable deadlines and the outbox of effects not yet run. Everything in it can be rebuilt from the event log, so it trades durability
 * (synchronous=NORMAL) for speed.
 */
export function openRuntimeDatabase(path: string): Database.Database {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS snapshots (
      stream          TEXT    PRIMARY KEY,
      revision        INTEGER NOT NULL,
      machine_version INTEGER NOT NULL,
      state           TEXT    NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS deadlines (
      stream TEXT    NOT NULL,
      key    TEXT    NOT NULL,
      due_at INTEGER NOT NULL,
      PRIMARY KEY (stream, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS deadlines_by_due ON deadlines (due_at);
    CREATE TABLE IF NOT EXISTS outbox (
      idempotency_key TEXT PRIMARY KEY,
      effect          TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS checkpoints (
      name     TEXT PRIMARY KEY,
      position TEXT NOT NULL
    ) WITHOUT ROWID;
  `);
  return db;
}
