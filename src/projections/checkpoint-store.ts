import type Database from 'better-sqlite3';

export interface Checkpoint {
  version: number;
  /** Last `$all` position the view reflects (applied or skipped); undefined: nothing yet. */
  position: bigint | undefined;
  events: number;
}

/** Reads and writes the projection_checkpoints table (see read-model-db.ts). */
export class CheckpointStore {
  readonly #get: Database.Statement<[string], { version: number; position: string | null; events: number }>;
  readonly #put: Database.Statement<[string, number, string | null, number, number]>;

  constructor(db: Database.Database) {
    this.#get = db.prepare('SELECT version, position, events FROM projection_checkpoints WHERE name = ?');
    this.#put = db.prepare(
      `INSERT INTO projection_checkpoints (name, version, position, events, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position,
         events = excluded.events, updated_at = excluded.updated_at`,
    );
  }

  get(name: string): Checkpoint | undefined {
    const row = this.#get.get(name);
    return (
      row && {
        version: row.version,
        position: row.position === null ? undefined : BigInt(row.position),
        events: row.events,
      }
    );
  }

  put(name: string, checkpoint: Checkpoint, now: number): void {
    this.#put.run(name, checkpoint.version, checkpoint.position?.toString() ?? null, checkpoint.events, now);
  }
}
