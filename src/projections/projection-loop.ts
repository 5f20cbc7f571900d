import type Database from 'better-sqlite3';
import type { EventStore } from '../events/event-store.js';
import { subscriptionBatches } from '../events/subscription-batches.js';
import type { RecordedEvent, Subscription } from '../events/types.js';
import type { Checkpoint } from './checkpoint-store.js';
import { CheckpointMoved, type ProjectionView } from './projection-view.js';

/** Where the loop reads `$all` from: a store, or the events a projection worker is sent (thread/). */
export type EventSource = Pick<EventStore, 'subscribeToAll'>;

/** Most events applied in one read-model transaction. */
export const MAX_BATCH = 1000;
/** How long a view's checkpoint may stay ahead in memory only (see {@link ProjectionLoop}). */
const CHECKPOINT_DELAY_MS = 1000;

/**
 * Follows `$all` once for every view that joined it: one subscription, starting after the lowest
 * checkpoint among them, and per batch one read-model transaction in which each view that reads some
 * of the batch's events (after its own checkpoint: nothing is applied twice) applies them, flushes
 * and writes its checkpoint.
 *
 * A view with nothing to apply in a batch moves its checkpoint in memory only (the waits for it resolve
 * at once); the stored row follows in the next transaction that writes anything, or within
 * CHECKPOINT_DELAY_MS, or on stop. A batch with nothing for any view runs no transaction at all. After
 * a crash, a view whose stored checkpoint was behind replays the events between it and where it was in
 * memory: none of its types, so it skips them again and its rows are exactly what they were.
 *
 * Failures are per view: each view's part of the transaction is a savepoint, and a view whose apply
 * (or flush) throws is rolled back to it and leaves the loop (state `failed`); the other views' parts
 * of the same batch commit and they go on. A view whose stored checkpoint was moved by another
 * process (CheckpointMoved) writes nothing of the batch, takes up the stored checkpoint and, when that
 * is behind the loop, the subscription restarts from the lowest checkpoint again (the views ahead skip
 * what they already reflect). Only when the transaction itself fails (its BEGIN or COMMIT) does the
 * batch fail for every view that applied events in it.
 */
export class ProjectionLoop {
  readonly #views = new Set<ProjectionView>();
  readonly #transaction: (work: () => void) => void;
  #subscription: Subscription | undefined;
  /** The last position the current subscription delivered (or where it started): the views' floor. */
  #position: bigint | undefined;
  #running: Promise<void> | undefined;
  #resubscribe = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventSource,
    db: Database.Database,
  ) {
    // IMMEDIATE: the write lock is taken before the views compare their stored checkpoints, so another
    // process cannot move one between the check and the write.
    const transaction = db.transaction((work: () => void) => work());
    this.#transaction = (work) => transaction.immediate(work);
  }

  /** Follows `$all` for these views too, each from its own checkpoint. */
  join(views: Iterable<ProjectionView>): void {
    let behind = false;
    for (const view of views) {
      if (this.#views.has(view)) continue;
      this.#views.add(view);
      view.run();
      behind ||= before(view.position, this.#position);
    }
    if (this.#views.size === 0) return;
    if (!this.#running) this.#running = this.#run();
    else if (behind || !this.#subscription) this.#restart();
  }

  /** Stops applying events to a view (for a rebuild): at once, since batches are applied synchronously. */
  leave(view: ProjectionView): void {
    if (!this.#views.delete(view)) return;
    view.halt();
    if (this.#views.size === 0) this.#closeSubscription();
  }

  /** Stops following `$all` and writes the checkpoints still held in memory only. */
  async stop(): Promise<void> {
    const views = [...this.#views];
    this.#views.clear();
    for (const view of views) view.halt();
    this.#closeSubscription();
    await this.#running;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write(new Map(), undefined, views);
  }

  /** Follows `$all` until no view is left, subscribing again when a view joined behind the loop. */
  async #run(): Promise<void> {
    try {
      do await this.#follow();
      while (this.#resubscribe && this.#views.size > 0);
    } finally {
      // In the same turn as the check above: a view joining later starts a new run.
      this.#running = undefined;
    }
  }

  async #follow(): Promise<void> {
    this.#resubscribe = false;
    const from = lowest(this.#views);
    let subscription: Subscription | undefined;
    try {
      subscription = this.store.subscribeToAll({ from: from === undefined ? 'start' : { after: from } });
      this.#subscription = subscription;
      this.#position = from;
      for await (const batch of subscriptionBatches(subscription, MAX_BATCH)) {
        if (this.#subscription !== subscription) break;
        this.#dispatch(batch);
      }
    } catch (error) {
      // As each view did with a subscription of its own: it fails when the subscription does.
      if (this.#subscription === subscription) for (const view of [...this.#views]) this.#fail(view, error);
    } finally {
      if (this.#subscription === subscription) this.#subscription = undefined;
      await subscription?.close();
    }
  }

  #dispatch(batch: readonly RecordedEvent[]): void {
    const last = batch[batch.length - 1]!;
    const writes = new Map<ProjectionView, RecordedEvent[]>();
    for (const view of this.#views) {
      const events = view.select(batch);
      if (events.length > 0) writes.set(view, events);
      else view.advance(last.position, last.recordedAt);
    }
    this.#position = last.position;
    if (writes.size > 0) this.#write(writes, last, this.#views);
    this.#writeLater();
  }

  /**
   * One transaction: each view of `writes` applies its events and writes its checkpoint at `last`; each
   * other view of `lazy` whose checkpoint moved in memory only writes it. None: no transaction.
   */
  #write(
    writes: ReadonlyMap<ProjectionView, RecordedEvent[]>,
    last: RecordedEvent | undefined,
    lazy: Iterable<ProjectionView>,
  ): void {
    const checkpoints: ProjectionView[] = [];
    for (const view of lazy) if (view.dirty && !writes.has(view)) checkpoints.push(view);
    if (writes.size === 0 && checkpoints.length === 0) return;
    const staged: [ProjectionView, Checkpoint, applied: boolean][] = [];
    const failures: [ProjectionView, unknown][] = [];
    const stage = (view: ProjectionView, events: readonly RecordedEvent[], upTo?: bigint) => {
      try {
        staged.push([view, view.stage(events, upTo), events.length > 0]);
      } catch (error) {
        failures.push([view, error]);
      }
    };
    try {
      this.#transaction(() => {
        for (const [view, events] of writes) stage(view, events, last?.position);
        for (const view of checkpoints) stage(view, []);
      });
    } catch (error) {
      // Nothing of the transaction is stored. A view that applied events may keep some of them in its
      // writer's memory: it fails. The others still reflect their position (stored on a later write).
      for (const [view, , applied] of staged) if (applied) failures.push([view, error]);
      staged.length = 0;
    }
    for (const [view, checkpoint, applied] of staged)
      view.commit(checkpoint, applied ? last?.recordedAt : undefined);
    for (const [view, error] of failures) this.#fail(view, error);
  }

  #writeLater(): void {
    if (this.#timer) return;
    let dirty = false;
    for (const view of this.#views) dirty ||= view.dirty;
    if (!dirty) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#write(new Map(), undefined, this.#views);
    }, CHECKPOINT_DELAY_MS);
    this.#timer.unref();
  }

  #fail(view: ProjectionView, error: unknown): void {
    if (error instanceof CheckpointMoved) {
      // Never on top of what another process wrote: take it up, and read again what it lacks.
      view.takeUp(error.stored);
      if (this.#views.has(view) && before(view.position, this.#position)) this.#restart();
      return;
    }
    this.#views.delete(view);
    view.fail(error);
    if (this.#views.size === 0) this.#closeSubscription();
  }

  /** Subscribes again, from the lowest checkpoint: a view that joined is behind what was delivered. */
  #restart(): void {
    this.#resubscribe = true;
    this.#closeSubscription();
  }

  #closeSubscription(): void {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.close();
  }
}

/** Whether a view at `position` lacks events the loop has delivered (up to `delivered`). */
function before(position: bigint | undefined, delivered: bigint | undefined): boolean {
  return delivered !== undefined && (position === undefined || position < delivered);
}

function lowest(views: Iterable<ProjectionView>): bigint | undefined {
  let low: bigint | undefined;
  for (const { position } of views) {
    if (position === undefined) return undefined;
    if (low === undefined || position < low) low = position;
  }
  return low;
}
