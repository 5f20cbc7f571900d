import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../events/types.js';

/**
 * A read model folded from `$all`. The runner calls `apply` inside a transaction that also stores the
 * projection's checkpoint, so each event affects the view exactly once, across crashes.
 */
export interface ProjectionDefinition {
  name: string;
  /** Bump when `apply` would build a different view: the view then rebuilds itself on start. */
  version: number;
  /** Event types the projection reads (others are skipped cheaply); all when absent. */
  eventTypes?: readonly string[];
  /** Creates the projection's tables (idempotent) and prepares its statements. */
  open(db: Database.Database): ProjectionWriter;
}

export interface ProjectionWriter {
  /** Empties the view (before a rebuild). */
  reset(): void;
  apply(event: RecordedEvent): void;
  /**
   * Called at the end of every batch, inside its transaction, before the checkpoint is written: a
   * writer may keep rows in memory during a batch and write each once here.
   */
  flush?(): void;
  /**
   * The transaction of the batch applied since the last call committed: what the writer keeps in
   * memory of it now matches the database (a writer may keep rows across batches, as long as only
   * committed ones).
   */
  committed?(): void;
  /**
   * What the writer keeps in memory may no longer match the database: the batch's savepoint or
   * transaction rolled back, or another writer (a CLI rebuild) moved the view. It forgets all of it.
   */
  forget?(): void;
}

/** Whether a projection reading `types` (all of them when undefined) reads any of `eventTypes`. */
export function readsAnyOf(types: ReadonlySet<string> | undefined, eventTypes: readonly string[]): boolean {
  return types === undefined || eventTypes.some((type) => types.has(type));
}
