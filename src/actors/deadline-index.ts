import type Database from 'better-sqlite3';

type Deadlines = readonly { key: string; dueAt: number }[];

export interface DueDeadline {
  stream: string;
  key: string;
  dueAt: number;
}

/** The durable index of every actor's deadlines, with the `$all` position it reflects. */
export class DeadlineIndex {
  readonly #deleteStream: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, string, number]>;
  readonly #due: Database.Statement<[number, number], DueDeadline>;
  readonly #earliest: Database.Statement<[], { dueAt: number | null }>;
  readonly #getCheckpoint: Database.Statement<[string], { position: string }>;
  readonly #setCheckpoint: Database.Statement<[string, string]>;
  readonly #replace: (entries: Iterable<readonly [string, Deadlines]>, position?: bigint) => void;

  constructor(
    db: Database.Database,
    private readonly name = 'deadlines',
  ) {
    this.#deleteStream = db.prepare('DELETE FROM deadlines WHERE stream = ?');
    this.#insert = db.prepare('INSERT INTO deadlines (stream, key, due_at) VALUES (?, ?, ?)');
    this.#due = db.prepare(
      'SELECT stream, key, due_at AS dueAt FROM deadlines WHERE due_at <= ? ORDER BY due_at LIMIT ?',
    );
    this.#earliest = db.prepare('SELECT min(due_at) AS dueAt FROM deadlines');
    this.#getCheckpoint = db.prepare('SELECT position FROM checkpoints WHERE name = ?');
    this.#setCheckpoint = db.prepare(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
    );
    this.#replace = db.transaction(
      (
        entries: Iterable<readonly [string, readonly { key: string; dueAt: number }[]]>,
        position?: bigint,
      ) => {
        for (const [stream, deadlines] of entries) {
          this.#deleteStream.run(stream);
          for (const deadline of deadlines) this.#insert.run(stream, deadline.key, deadline.dueAt);
        }
        if (position !== undefined) this.#setCheckpoint.run(this.name, position.toString());
      },
    );
  }

  /** Replaces the deadlines of some streams, and advances the checkpoint, in one transaction. */
  replace(entries: Iterable<readonly [string, Deadlines]>, position?: bigint): void {
    this.#replace(entries, position);
  }

  due(now: number, limit = 256): DueDeadline[] {
    return this.#due.all(now, limit);
  }

  earliest(): number | undefined {
    return this.#earliest.get()?.dueAt ?? undefined;
  }

  checkpoint(): bigint | undefined {
    const row = this.#getCheckpoint.get(this.name);
    return row ? BigInt(row.position) : undefined;
  }
}
