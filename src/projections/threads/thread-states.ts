import type Database from 'better-sqlite3';
import {
  type ParticipantRow,
  THREAD_COLUMNS,
  type ThreadColumn,
  type ThreadRow,
  type ThreadStatements,
} from './threads-schema.js';

/** A thread as the threads view holds it: its row and its participants by agent id. */
export interface ThreadState {
  row: ThreadRow;
  /** Replaced, never changed in place: it may be the committed thread's. */
  participants: ReadonlyMap<string, ParticipantRow>;
}

/** Committed threads kept in memory at most; the least recently used beyond it are read again. */
export const MAX_CACHED_THREADS = 4096;

interface Pending {
  /** The row as committed (what the database holds); undefined for a thread created in this batch. */
  base: ThreadRow | undefined;
  state: ThreadState;
}

/**
 * The threads writer's memory of thread rows and participants, so that a message costs no read of its
 * thread and one narrow UPDATE of the columns it changed:
 * - committed: threads as the database holds them after the last committed batch (most recently used
 *   first out of the limit); never changed in place;
 * - pending: the working copies of the threads the current batch changes, each row written once, at
 *   flush, with only the columns that differ from the committed row.
 *
 * Pending copies become committed only once the batch's transaction commits ({@link committed}); a
 * rolled-back batch, or another writer moving the view, makes the writer {@link forget} everything, and
 * threads are read from the database again.
 */
export class ThreadStates {
  readonly #committed = new Map<string, ThreadState>();
  readonly #pending = new Map<string, Pending>();
  readonly #updates = new Map<string, Database.Statement<unknown[]>>();

  constructor(
    private readonly db: Database.Database,
    private readonly statements: ThreadStatements,
    private readonly limit = MAX_CACHED_THREADS,
  ) {}

  /** The thread as the current batch changes it, or undefined when the view has no such thread. */
  get(id: string): ThreadState | undefined {
    const pending = this.#pending.get(id);
    if (pending) return pending.state;
    const committed = this.#read(id);
    if (!committed) return undefined;
    const state = { row: { ...committed.row }, participants: committed.participants };
    this.#pending.set(id, { base: committed.row, state });
    return state;
  }

  /** A thread created by the current batch: its row is inserted at flush. */
  create(state: ThreadState): void {
    this.#pending.set(state.row.id, { base: undefined, state });
  }

  /** Inside the batch's transaction: writes each thread row the batch changed. */
  flush(): void {
    for (const { base, state } of this.#pending.values()) {
      if (base === undefined) this.statements.saveThread.run(state.row);
      else this.#update(base, state.row);
    }
  }

  /** The batch's transaction committed: its threads are what the database holds. */
  committed(): void {
    for (const [id, { state }] of this.#pending) {
      this.#committed.delete(id);
      this.#committed.set(id, state);
    }
    this.#pending.clear();
    for (const id of this.#committed.keys()) {
      if (this.#committed.size <= this.limit) break;
      this.#committed.delete(id);
    }
  }

  /** Everything in memory may differ from the database: read it again. */
  forget(): void {
    this.#pending.clear();
    this.#committed.clear();
  }

  /** The committed thread, from memory or else from the database. */
  #read(id: string): ThreadState | undefined {
    // Most recently used last: committed() moves each thread a batch changed to the end.
    const cached = this.#committed.get(id);
    if (cached) return cached;
    const row = this.statements.getThread.get(id);
    if (!row) return undefined;
    // Copies: rows as the driver makes them are slow to copy and to change (dictionary objects).
    const participants = new Map<string, ParticipantRow>();
    for (const p of this.statements.participantsOf.all(id)) participants.set(p.agent_id, { ...p });
    return { row: { ...row }, participants };
  }

  /** Writes the columns of `row` that differ from `base`, if any. */
  #update(base: ThreadRow, row: ThreadRow): void {
    const columns: ThreadColumn[] = [];
    const values: unknown[] = [];
    changedColumns(base, row, (column, value) => {
      columns.push(column);
      values.push(value);
    });
    if (columns.length === 0) return;
    values.push(row.id);
    this.#updateOf(columns).run(values);
  }

  #updateOf(columns: readonly ThreadColumn[]): Database.Statement<unknown[]> {
    const key = columns.join(',');
    let update = this.#updates.get(key);
    if (!update) {
      const set = columns.map((column) => `${column} = ?`).join(', ');
      update = this.db.prepare<unknown[]>(`UPDATE threads SET ${set} WHERE id = ?`);
      this.#updates.set(key, update);
    }
    return update;
  }
}

/** Calls `changed` for each column but the id whose value differs between the rows, in table order. */
export function changedColumns(
  base: ThreadRow,
  row: ThreadRow,
  changed: <C extends ThreadColumn>(column: C, value: ThreadRow[C]) => void,
): void {
  for (const column of THREAD_COLUMNS) {
    if (column !== 'id' && base[column] !== row[column]) changed(column, row[column]);
  }
}
