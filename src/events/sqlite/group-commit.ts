import type Database from 'better-sqlite3';
import type { AppendResult } from '../types.js';
import type { AppendJob } from './apply-append.js';
import { toStoreError } from './sqlite-errors.js';

interface PendingAppend {
  job: AppendJob;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  outcome?: { result: AppendResult } | { error: unknown };
}

/**
 * Group commit: appends requested in the same turn of the event loop share one write transaction and
 * so one fsync. Each runs in its own savepoint, so one append's failed check rolls back only itself.
 * Promises settle only after the commit, so an acknowledged append is durable.
 */
export class GroupCommit {
  #queue: PendingAppend[] = [];
  #scheduled = false;
  readonly #transaction: Database.Transaction<(batch: PendingAppend[]) => void>;

  constructor(
    db: Database.Database,
    apply: (job: AppendJob) => AppendResult,
    private readonly afterCommit: () => void,
    private readonly maxBatch = 1024,
  ) {
    const applyInSavepoint = db.transaction(apply);
    this.#transaction = db.transaction((batch: PendingAppend[]) => {
      for (const pending of batch) {
        try {
          pending.outcome = { result: applyInSavepoint(pending.job) };
        } catch (error) {
          pending.outcome = { error: toStoreError(error) };
        }
      }
    });
  }

  submit(job: AppendJob): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also called on close). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      this.#commit(batch);
    }
  }

  #commit(batch: PendingAppend[]): void {
    try {
      this.#transaction.immediate(batch);
    } catch (error) {
      const failure = toStoreError(error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    for (const pending of batch) {
      const outcome = pending.outcome;
      if (outcome && 'result' in outcome) pending.resolve(outcome.result);
      else pending.reject(outcome?.error);
    }
    this.afterCommit();
  }
}
