import type { EventStore } from '../events/event-store.js';
import type { Subscription } from '../events/types.js';
import type { ActorSystem } from './actor-system.js';
import type { AnyActorKind } from './actor-kind.js';
import type { TimerHandle } from './clock.js';
import type { DeadlineIndex } from './deadline-index.js';
import type { Folded } from './rehydrate.js';

type Deadlines = readonly { key: string; dueAt: number }[];

/**
 * Durable timers. Deadlines are derived from each actor's state and kept in an index that follows
 * `$all` from a checkpoint, so they survive restarts, cover events written by other processes, and
 * fire at once when overdue. A fired deadline goes through the actor's mailbox, which re-derives it
 * from the current state: a stale index entry can never append a wrong event.
 *
 * Writes are batched: the states this process adopts and the events `$all` brings are collected and
 * written with the checkpoint in one transaction per turn of the event loop; events whose state this
 * process already recorded when adopting it are not folded again.
 */
export class DeadlineTracker {
  #subscription: Subscription | undefined;
  #following: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #armedAt: number | undefined;
  #firing = false;
  #processed: bigint | undefined;
  #stopped = false;
  readonly #pending = new Map<string, Deadlines>();
  #pendingCheckpoint: bigint | undefined;
  #flushScheduled = false;
  /** Streams whose deadlines this process wrote when adopting their state, at that revision. */
  readonly #recorded = new Map<string, number>();
  readonly #waiters = new Set<() => void>();

  constructor(
    private readonly system: ActorSystem,
    private readonly store: EventStore,
    private readonly index: DeadlineIndex,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    const kinds = this.system.kinds.filter((kind) => kind.deadlines);
    if (kinds.length === 0) return;
    this.system.onAdopted = (stream, kind, folded) => this.#record(stream, kind, folded);
    const checkpoint = this.index.checkpoint();
    this.#processed = checkpoint;
    this.#subscription = this.store.subscribeToAll({
      from: checkpoint === undefined ? 'start' : { after: checkpoint },
      filter: { streamPrefixes: kinds.map((kind) => `${kind.category}-`) },
    });
    this.#following = this.#follow(this.#subscription);
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.system.clock.clearTimer(this.#timer);
    await this.#subscription?.close();
    await this.#following;
    this.#flush();
  }

  /** Resolves once the index reflects every event up to `position`. */
  caughtUp(position: bigint): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#processed !== undefined && this.#processed >= position) {
          this.#waiters.delete(check);
          resolve();
        }
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Fires every due deadline now (the clock's timer calls this too). */
  async fireDue(): Promise<void> {
    if (this.#firing) return;
    this.#firing = true;
    try {
      for (;;) {
        this.#flush();
        const due = this.index.due(this.system.clock.now());
        if (due.length === 0) break;
        for (const deadline of due) {
          const result = await this.system.fireDeadline(deadline.stream, deadline.key);
          // Nothing appended: the entry was stale; re-derive it from the current state.
          if (result.events.length === 0) {
            const { kind, folded } = await this.system.refresh(deadline.stream, result.revision);
            this.#pending.set(deadline.stream, kind.deadlines?.(folded.state) ?? []);
          }
        }
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  async #follow(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        const recorded = this.#recorded.get(event.stream);
        if (recorded !== undefined && recorded >= event.revision) {
          if (recorded === event.revision) this.#recorded.delete(event.stream);
        } else {
          const { kind, folded } = await this.system.refresh(event.stream, event.revision);
          this.#pending.set(event.stream, kind.deadlines?.(folded.state) ?? []);
        }
        this.#pendingCheckpoint = event.position;
        this.#scheduleFlush();
      }
    } catch (error) {
      if (!this.#stopped) this.onError(error);
    }
  }

  #record(stream: string, kind: AnyActorKind, folded: Folded): void {
    if (!kind.deadlines) return;
    this.#pending.set(stream, kind.deadlines(folded.state));
    this.#recorded.set(stream, Math.max(this.#recorded.get(stream) ?? -1, folded.revision));
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      try {
        this.#flush();
        this.#arm();
      } catch (error) {
        this.onError(error);
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.size === 0 && this.#pendingCheckpoint === undefined) return;
    const checkpoint = this.#pendingCheckpoint;
    this.index.replace(this.#pending, checkpoint);
    this.#pending.clear();
    this.#pendingCheckpoint = undefined;
    if (checkpoint !== undefined) {
      this.#processed = checkpoint;
      for (const waiter of [...this.#waiters]) waiter();
    }
  }

  #arm(): void {
    if (this.#stopped || this.#firing) return;
    const earliest = this.index.earliest();
    if (earliest === undefined || earliest === this.#armedAt) return;
    if (this.#timer) this.system.clock.clearTimer(this.#timer);
    this.#armedAt = earliest;
    this.#timer = this.system.clock.setTimer(() => {
      this.#timer = undefined;
      this.#armedAt = undefined;
      void this.fireDue();
    }, earliest - this.system.clock.now());
  }
}
