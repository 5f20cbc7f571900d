import type Database from 'better-sqlite3';
import { subscriptionBatches } from '../events/subscription-batches.js';
import type { EventStore } from '../events/event-store.js';
import type { RecordedEvent, Subscription } from '../events/types.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import type { ProjectionDefinition, ProjectionWriter } from './projection.js';

const MAX_BATCH = 1000;

/** The stored checkpoint is not the one this worker last wrote. */
class CheckpointMoved extends Error {
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
 * Follows `$all` for one projection: applies events in batches, each batch and the checkpoint in one
 * transaction. A failing `apply` rolls its batch back and stops the projection (state `failed`) rather
 * than leave a half-applied view.
 */
export class ProjectionWorker {
  #writer: ProjectionWriter;
  #checkpoint: Checkpoint;
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;
  #state: ProjectionStatus['state'] = 'starting';
  #error: string | undefined;
  #lastRecordedAt: string | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #applyBatch: (events: readonly RecordedEvent[], upTo?: bigint) => void;

  constructor(
    readonly definition: ProjectionDefinition,
    private readonly db: Database.Database,
    private readonly store: EventStore,
    private readonly checkpoints: CheckpointStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.#writer = definition.open(db);
    this.#types = definition.eventTypes && new Set(definition.eventTypes);
    const stored = checkpoints.get(definition.name);
    this.#checkpoint = stored ?? { version: definition.version, position: undefined, events: 0 };
    if (!stored || stored.version !== definition.version) this.reset();
    this.#applyBatch = db.transaction((events: readonly RecordedEvent[], upTo?: bigint) => {
      // Another process (a CLI rebuild) may have moved the view under us: never apply on top of it.
      const stored = this.checkpoints.get(definition.name);
      if (stored?.version !== this.#checkpoint.version || stored.position !== this.#checkpoint.position) {
        throw new CheckpointMoved(stored);
      }
      let applied = 0;
      for (const event of events) {
        if (this.#types && !this.#types.has(event.type)) continue;
        this.#writer.apply(event);
        applied++;
      }
      this.#writer.flush?.();
      const last = events[events.length - 1];
      const reached =
        upTo !== undefined && (last === undefined || upTo > last.position) ? upTo : last?.position;
      const next = { ...this.#checkpoint, position: reached ?? this.#checkpoint.position };
      next.events += applied;
      this.checkpoints.put(definition.name, next, this.clock());
      this.#checkpoint = next;
      this.#lastRecordedAt = last?.recordedAt ?? this.#lastRecordedAt;
    });
  }

  get position(): bigint | undefined {
    return this.#checkpoint.position;
  }

  /** Whether the view reads any of these event types (a view that names none reads them all). */
  reads(eventTypes: readonly string[]): boolean {
    const types = this.#types;
    return types === undefined || eventTypes.some((type) => types.has(type));
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

  /** Empties the view and its checkpoint (the worker must not be running). */
  reset(): void {
    this.db.transaction(() => {
      this.#writer.reset();
      this.#checkpoint = { version: this.definition.version, position: undefined, events: 0 };
      this.checkpoints.put(this.definition.name, this.#checkpoint, this.clock());
    })();
  }

  /**
   * Applies already-read events (rebuilds read `$all` in pages and feed them here). `upTo` moves the
   * checkpoint past events the caller knows this view skips (a filtered read up to that position).
   */
  apply(events: readonly RecordedEvent[], upTo?: bigint): void {
    if (events.length > 0 || upTo !== undefined) this.#applyBatch(events, upTo);
    this.#notify();
  }

  start(): void {
    const from = this.#checkpoint.position;
    this.#subscription = this.store.subscribeToAll({ from: from === undefined ? 'start' : { after: from } });
    this.#state = 'running';
    this.#loop = this.#follow(this.#subscription);
  }

  async stop(): Promise<void> {
    if (this.#state === 'running') this.#state = 'stopped';
    await this.#subscription?.close();
    await this.#loop;
    this.#notify();
  }

  /** Resolves once the view reflects `position`; rejects if the projection fails or stops first. */
  reached(position: bigint): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#checkpoint.position !== undefined && this.#checkpoint.position >= position) resolve();
        else if (this.#state === 'failed' || this.#state === 'stopped') {
          reject(
            new Error(
              `projection ${this.definition.name} is ${this.#state}${this.#error ? `: ${this.#error}` : ''}`,
            ),
          );
        } else return;
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  async #follow(subscription: Subscription): Promise<void> {
    try {
      for await (const batch of subscriptionBatches(subscription, MAX_BATCH)) {
        try {
          this.apply(batch);
        } catch (error) {
          if (!(error instanceof CheckpointMoved)) throw error;
          await subscription.close();
          this.#resync(error.stored);
          return;
        }
      }
    } catch (error) {
      if (this.#state === 'running') {
        this.#state = 'failed';
        this.#error = error instanceof Error ? error.message : String(error);
        await subscription.close();
      }
    } finally {
      this.#notify();
    }
  }

  /** Takes up the view from where the database says it is and follows `$all` from there. */
  #resync(stored: Checkpoint | undefined): void {
    if (!stored || stored.version !== this.definition.version) {
      this.reset();
    } else {
      this.#checkpoint = stored;
    }
    if (this.#state === 'running') this.start();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
