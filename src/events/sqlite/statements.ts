import type Database from 'better-sqlite3';
import type { EventRow, StreamRow } from './rows.js';

const EVENT_COLUMNS = 'position, stream, revision, event_id, type, data, metadata, recorded_at';

/** Every fixed statement of the embedded store, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    stream: db.prepare<[string], StreamRow>(
      'SELECT last_revision, state, hidden_before, metadata FROM streams WHERE stream = ?',
    ),
    eventById: db.prepare<[string, string], { revision: number; position: number }>(
      'SELECT revision, position FROM events WHERE event_id = ? AND stream = ?',
    ),
    insertEvent: db.prepare<[string, number, string, string, string, string, number]>(
      'INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    upsertStreamRevision: db.prepare<[string, number]>(
      `INSERT INTO streams (stream, last_revision, state) VALUES (?, ?, 0)
       ON CONFLICT (stream) DO UPDATE SET last_revision = excluded.last_revision, state = 0`,
    ),
    upsertStreamMetadata: db.prepare<[string, string]>(
      `INSERT INTO streams (stream, metadata) VALUES (?, ?)
       ON CONFLICT (stream) DO UPDATE SET metadata = excluded.metadata`,
    ),
    markDeleted: db.prepare<[number, number, string]>(
      'UPDATE streams SET state = ?, hidden_before = ? WHERE stream = ?',
    ),
    insertTombstone: db.prepare<[string]>('INSERT INTO streams (stream, state) VALUES (?, 2)'),
    readStreamForwards: db.prepare<[string, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? AND recorded_at >= ?
       ORDER BY revision ASC LIMIT ?`,
    ),
    readStreamBackwards: db.prepare<[string, number, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? AND revision >= ? AND recorded_at >= ?
       ORDER BY revision DESC LIMIT ?`,
    ),
    headPosition: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

export { EVENT_COLUMNS };
