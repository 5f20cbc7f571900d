import type Database from 'better-sqlite3';
import type { EventRow, PriorEventRow, StreamRow } from './rows.js';

const EVENT_COLUMNS = 'position, stream, revision, event_id, type, data, metadata, recorded_at';

/** Every fixed statement of the embedded store, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    stream: db.prepare<{ stream: string }, StreamRow>(
      `SELECT coalesce((SELECT max(revision) FROM events WHERE stream = @stream), -1) AS last_revision,
              s.stream IS NOT NULL AS registered, coalesce(s.state, 0) AS state,
              coalesce(s.hidden_before, 0) AS hidden_before, s.metadata AS metadata
       FROM (SELECT 1) LEFT JOIN streams s ON s.stream = @stream`,
    ),
    eventIdsFrom: db.prepare<[string, number, number], PriorEventRow>(
      `SELECT revision, position, event_id FROM events WHERE stream = ? AND revision >= ?
       ORDER BY revision ASC LIMIT ?`,
    ),
    lastEventIds: db.prepare<[string, number], PriorEventRow>(
      `SELECT revision, position, event_id FROM events WHERE stream = ?
       ORDER BY revision DESC LIMIT ?`,
    ),
    insertEvent: db.prepare<[string, number, string, string, string, string, number]>(
      'INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    markLive: db.prepare<[string]>('UPDATE streams SET state = 0 WHERE stream = ?'),
    upsertStreamMetadata: db.prepare<[string, string]>(
      `INSERT INTO streams (stream, metadata) VALUES (?, ?)
       ON CONFLICT (stream) DO UPDATE SET metadata = excluded.metadata`,
    ),
    markDeleted: db.prepare<[string, number, number]>(
      `INSERT INTO streams (stream, state, hidden_before) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET state = excluded.state, hidden_before = excluded.hidden_before`,
    ),
    readStreamForwards: db.prepare<[string, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? AND recorded_at >= ?
       ORDER BY revision ASC LIMIT ?`,
    ),
    readStreamBackwards: db.prepare<[string, number, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? AND revision >= ? AND recorded_at >= ?
       ORDER BY revision DESC LIMIT ?`,
    ),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    headPosition: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

export { EVENT_COLUMNS };
