import type Database from 'better-sqlite3';
import type { JsonObject } from '../events/json.js';

/** A cached actor state: the persisted XState snapshot after `revision`, under its kind's state version (`machineVersion`). */
export interface Snapshot {
  stream: string;
  revision: number;
  machineVersion: number;
  state: JsonObject;
  /** Length of the state's JSON text, when known: a large state is snapshotted less often. */
  bytes?: number;
}

export interface SnapshotStore {
  load(stream: string): Snapshot | undefined;
  save(snapshot: Snapshot): void;
}

/** Snapshots in the runtime database (see runtime-db.ts). */
export function sqliteSnapshotStore(db: Database.Database): SnapshotStore {
  const select = db.prepare<[string], { revision: number; machine_version: number; state: string }>(
    'SELECT revision, machine_version, state FROM snapshots WHERE stream = ?',
  );
  const upsert = db.prepare<[string, number, number, string]>(
    `INSERT INTO snapshots (stream, revision, machine_version, state) VALUES (?, ?, ?, ?)
     ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, machine_version = excluded.machine_version,
       state = excluded.state`,
  );
  return {
    load(stream) {
      const row = select.get(stream);
      return (
        row && {
          stream,
          revision: row.revision,
          machineVersion: row.machine_version,
          state: JSON.parse(row.state),
          bytes: row.state.length,
        }
      );
    },
    save(snapshot) {
      upsert.run(snapshot.stream, snapshot.revision, snapshot.machineVersion, JSON.stringify(snapshot.state));
    },
  };
}
