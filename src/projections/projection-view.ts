import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../events/types.js';
import type { CloseSignal } from '../events/close-signal.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import { type ProjectionDefinition, type ProjectionWriter, readsAnyOf } from './projection.js';
import { ViewWaiters } from './view-waiters.js';

/** The stored checkpoint is not the one this process last wrote: another process moved the view. */
export class CheckpointMoved extends Error {
  constructor(readonly stored: Checkpoint | undefined) {
    super('the projection checkpoint was moved by another writer');
  }
}

/** Where a projection stands: for lag reports and health. */
export interface ProjectionStatus {
  name: string;
  version: number;
  state: 'starting' | 'running' | 'failed' | 'stopped';
  position: bigint | undefined;
  events: number;
  /** `recordedAt` of the last event the view reflects. */
  lastRecordedAt: string | undefined;
  error?: string;
}

/**
 * One read model in this process: its writer, where it stands, and the queries waiting for it. The
 * shared loop (projection-loop.ts) and rebuilds feed it events; it applies them with its checkpoint in
 * one transaction, so its rows and its stored checkpoint always move together.
 *
 * Two checkpoints are kept: `position` is what the view reflects, and moves in memory alone past events
 * it does not read (its rows would not change); `#written` is what this process last wrote (or read)
 * in the checkpoint table, and is what a write compares the stored row with: a row that differs was
 * moved by another process (a CLI `bzzz projections rebuild`), and nothing is applied on top of it.
 */
export class ProjectionView {
  readonly #writer: ProjectionWriter;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #waiters = new ViewWaiters(this);
  /** Stages a write: a savepoint inside the shared transaction, a transaction of its own outside it. */
  readonly #stage: Database.Transaction<(events: readonly RecordedEvent[], upTo?: bigint) => Checkpoint>;
  #checkpoint: Checkpoint;
  #written: Checkpoint;
  #state: ProjectionStatus['state'] = 'starting';
  #error: string | undefined;
  #lastRecordedAt: string | undefined;

  constructor(
    readonly definition: ProjectionDefinition,
    private readonly db: Database.Database,
    private readonly checkpoints: CheckpointStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.#writer = definition.open(db);
    this.#types = definition.eventTypes && new Set(definition.eventTypes);
    const stored = checkpoints.get(definition.name);
    this.#checkpoint = this.#written = stored ?? this.#empty();
    if (!stored || stored.version !== definition.version) this.reset();
    this.#stage = db.transaction((events: readonly RecordedEvent[], upTo?: bigint) =>
      this.#write(events, upTo),
    );
  }

  get name(): string {
    return this.definition.name;
  }

  get position(): bigint | undefined {
    return this.#checkpoint.position;
  }

  get state(): ProjectionStatus['state'] {
    return this.#state;
  }

  get error(): string | undefined {
    return this.#error;
  }

  /** The view reflects positions its stored checkpoint does not name yet (events it skipped). */
  get dirty(): boolean {
    return this.#checkpoint.position !== this.#written.position;
  }

  /** Whether the view reads any of these event types (a view that names none reads them all). */
  reads(eventTypes: readonly string[]): boolean {
    return readsAnyOf(this.#types, eventTypes);
  }

  /** The events of a batch this view has to apply: of its types, after its position. */
  select(batch: readonly RecordedEvent[]): RecordedEvent[] {
    const position = this.#checkpoint.position;
    const types = this.#types;
    const selected: RecordedEvent[] = [];
    for (const event of batch) {
      if ((position === undefined || event.position > position) && (!types || types.has(event.type)))
        selected.push(event);
    }
    return selected;
  }

  status(): ProjectionStatus {
    const status: ProjectionStatus = {
      name: this.definition.name,
      version: this.definition.version,
      state: this.#state,
      position: this.#checkpoint.position,
      events: this.#checkpoint.events,
      lastRecordedAt: this.#lastRecordedAt,
    };
    if (this.#error) status.error = this.#error;
    return status;
  }

  /** Empties the view and its checkpoint (the view must not be following `$all`). */
  reset(): void {
    try {
      this.db.transaction(() => {
        this.#writer.reset();
        this.checkpoints.put(this.definition.name, this.#empty(), this.clock());
      })();
    } finally {
      this.#writer.forget?.();
    }
    this.#checkpoint = this.#written = this.#empty();
  }

  /**
   * Applies already-read events in a transaction of their own (rebuilds read `$all` in pages and feed
   * them here). `upTo` moves the checkpoint past events the caller knows this view skips (a filtered
   * read up to that position).
   */
  apply(events: readonly RecordedEvent[], upTo?: bigint): void {
    const last = events.at(-1);
    if (last !== undefined || upTo !== undefined) {
      const reached =
        last !== undefined && (upTo === undefined || last.position > upTo) ? last.position : upTo;
      this.commit(
        this.#forgetOnThrow(() => this.#stage.immediate(this.select(events), reached)),
        last?.recordedAt,
      );
    }
    this.#notify();
  }

  /**
   * Inside a transaction: applies `events` (already selected), flushes the writer and writes the
   * checkpoint, at `upTo` or the last event (at least where the view is in memory). Throws
   * CheckpointMoved, or whatever the writer threw, with nothing of this view written; the checkpoint
   * to take up once the transaction commits ({@link commit}) is returned.
   */
  stage(events: readonly RecordedEvent[], upTo?: bigint): Checkpoint {
    // A checkpoint alone is one statement, after a check that writes nothing: no savepoint needed.
    return this.#forgetOnThrow(() =>
      events.length === 0 && this.db.inTransaction
        ? this.#write(events, upTo)
        : this.#stage.immediate(events, upTo),
    );
  }

  /** The transaction that staged `checkpoint` committed. */
  commit(checkpoint: Checkpoint, lastRecordedAt?: string): void {
    this.#writer.committed?.();
    this.#checkpoint = this.#written = checkpoint;
    if (lastRecordedAt !== undefined) this.#lastRecordedAt = lastRecordedAt;
    this.#notify();
  }

  /** The view reflects `position` without writing anything: the events up to it are none of its types. */
  advance(position: bigint, lastRecordedAt: string): void {
    const current = this.#checkpoint.position;
    if (current !== undefined && current >= position) return;
    this.#checkpoint = { ...this.#checkpoint, position };
    this.#lastRecordedAt = lastRecordedAt;
    this.#notify();
  }

  /** Takes up the view where the database says it is (after CheckpointMoved): empty if it is gone. */
  takeUp(stored: Checkpoint | undefined): void {
    this.#writer.forget?.();
    if (!stored || stored.version !== this.definition.version) this.reset();
    else this.#checkpoint = this.#written = stored;
    this.#notify();
  }

  /** Followed by the shared loop. */
  run(): void {
    this.#state = 'running';
    this.#error = undefined;
    this.#notify();
  }

  /** No longer followed: the waits for it fail. */
  halt(): void {
    if (this.#state === 'running') this.#state = 'stopped';
    this.#notify();
  }

  /** A write failed: the view stays as its last committed batch left it, and is no longer followed. */
  fail(error: unknown): void {
    // The batch that failed may have rolled back after the writer applied it in memory.
    this.#writer.forget?.();
    this.#state = 'failed';
    this.#error = error instanceof Error ? error.message : String(error);
    this.#notify();
  }

  /** Resolves once the view reflects `position`; rejects if the projection fails or stops first. */
  reached(position: bigint, until?: CloseSignal): Promise<void> {
    return this.#waiters.reached(position, until);
  }

  /** Calls `listener` after every change of where the view stands, until the returned function is called. */
  observe(listener: () => void): () => void {
    return this.#waiters.observe(listener);
  }

  #write(events: readonly RecordedEvent[], upTo: bigint | undefined): Checkpoint {
    const stored = this.checkpoints.get(this.definition.name);
    if (stored?.version !== this.#written.version || stored.position !== this.#written.position) {
      throw new CheckpointMoved(stored);
    }
    for (const event of events) this.#writer.apply(event);
    this.#writer.flush?.();
    const next = { ...this.#checkpoint, events: this.#checkpoint.events + events.length };
    for (const position of [events.at(-1)?.position, upTo]) {
      if (position !== undefined && (next.position === undefined || position > next.position))
        next.position = position;
    }
    this.checkpoints.put(this.definition.name, next, this.clock());
    return next;
  }

  /** Runs a write; if it throws, its savepoint or transaction rolled back: the writer forgets. */
  #forgetOnThrow<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      this.#writer.forget?.();
      throw error;
    }
  }

  #empty(): Checkpoint {
    return { version: this.definition.version, position: undefined, events: 0 };
  }

  #notify(): void {
    this.#waiters.notify();
  }
}
