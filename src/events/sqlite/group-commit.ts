import type Database from 'better-sqlite3';
import type { AppendResult } from '../types.js';
import type { AppendJob } from './apply-append.js';
import { StoreErrorCode } from '../errors.js';
import { isBzzzError } from '../../errors.js';
import { toStoreError } from './sqlite-errors.js';

/** What a group does inside its transaction, and after it. */
export interface GroupSteps {
  /** First thing in the transaction, with the write lock held. */
  begin?: () => void;
  /** One append; throws a refusal (written nothing) or a storage error (fails the group). */
  apply: (job: AppendJob) => AppendResult;
  afterCommit: () => void;
  rolledBack?: () => void;
}

interface PendingAppend {
  job: AppendJob;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  outcome?: { result: AppendResult } | { error: unknown };
}

/**
 * Group commit: appends requested in the same turn of the event loop share one write transaction and
 * so one fsync. An append whose checks fail (expected revision, tombstone) has written nothing and fails
 * alone; any other error (I/O, disk full) rolls the whole group back and fails every append in it.
 * Promises settle only after the commit, so an acknowledged append is durable.
 */
export class GroupCommit {
  #queue: PendingAppend[] = [];
  #scheduled = false;
  readonly #transaction: Database.Transaction<(batch: PendingAppend[]) => void>;

  constructor(
    db: Database.Database,
    private readonly steps: GroupSteps,
    private readonly maxBatch = 1024,
  ) {
    this.#transaction = db.transaction((batch: PendingAppend[]) => {
      steps.begin?.();
      const apply = steps.apply;
      for (const pending of batch) {
        try {
          pending.outcome = { result: apply(pending.job) };
        } catch (error) {
          if (!isRefusal(error)) throw error;
          pending.outcome = { error };
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
      this.steps.rolledBack?.();
      const failure = toStoreError(error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    for (const pending of batch) {
      const outcome = pending.outcome;
      if (outcome && 'result' in outcome) pending.resolve(outcome.result);
      else pending.reject(outcome?.error);
    }
    this.steps.afterCommit();
  }
}

/** The refusals applyAppend raises before writing anything. */
function isRefusal(error: unknown): boolean {
  return (
    isBzzzError(error, StoreErrorCode.WrongExpectedRevision) ||
    isBzzzError(error, StoreErrorCode.StreamDeleted)
  );
}
