import type { EventStore } from '../events/event-store.js';
import { pagesOf } from '../events/subscription-pages.js';
import type { Subscription } from '../events/types.js';
import type { ActorSystem } from './actor-system.js';
import type { AnyActorKind } from './actor-kind.js';
import type { TimerHandle } from './clock.js';
import type { DeadlineIndex } from './deadline-index.js';
import type { Folded } from './rehydrate.js';

type Deadlines = readonly { key: string; dueAt: number }[];

/** Longest time changed deadlines wait in memory before they are written (ms). */
export const FLUSH_INTERVAL_MS = 100;
/** Streams waiting to be written that trigger a write at once. */
const FLUSH_AT_PENDING = 4096;
/**
 * Streams whose recorded revision one map remembers, at most; past that, a flush starts a new map and
 * keeps the last one beside it, so only streams recorded in neither are forgotten. An entry stays once
 * followed: deleting it would shrink and regrow the map on every page of events.
 */
const MAX_RECORDED = 4096;

/**
 * Durable timers. Deadlines are derived from each actor's state and kept in an index that follows
 * `$all` from a checkpoint, so they survive restarts, cover events written by other processes, and
 * fire at once when overdue. A fired deadline goes through the actor's mailbox, which re-derives it
 * from the current state: a stale index entry can never append a wrong event.
 *
 * Writes are batched: the deadlines of the states this process adopts and of the events `$all` brings
 * are kept in memory (the timer is armed from them at once) and written with the checkpoint in one
 * transaction at most every FLUSH_INTERVAL_MS, or sooner when many are waiting; a stream changed many
 * times in between is written once. The index is derived data: after a crash it replays `$all` from the
 * checkpoint it had written. Events whose state this process already recorded when adopting it are not
 * folded again.
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
  /** Earliest due time among the pending deadlines (the index does not have them yet). */
  #pendingEarliest: number | undefined;
  #pendingCheckpoint: bigint | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  /**
   * Streams whose deadlines this process wrote when adopting their state, at that revision: events up
   * to it are not folded again. Forgetting an entry costs only a fold (see MAX_RECORDED).
   */
  #recorded = new Map<string, number>();
  /** The map before the last rotation (see MAX_RECORDED). */
  #recordedBefore = new Map<string, number>();
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
      skip: (stream, revision) => this.#isRecorded(stream, revision),
    });
    this.#following = this.#follow(this.#subscription);
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.system.clock.clearTimer(this.#timer);
    clearTimeout(this.#flushTimer);
    await this.#subscription?.close();
    await this.#following;
    this.#flush();
  }

  /** Resolves once the index (in memory; on disk within FLUSH_INTERVAL_MS) reflects every event up to `position`. */
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
            this.#setPending(deadline.stream, kind.deadlines?.(folded.state) ?? []);
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
      // Most events are this process's own, already recorded: pages spare a promise per event.
      for await (const page of pagesOf(subscription)) {
        for (const event of page) {
          if (!this.#isRecorded(event.stream, event.revision)) {
            const { kind, folded } = await this.system.refresh(event.stream, event.revision);
            this.#setPending(event.stream, kind.deadlines?.(folded.state) ?? []);
          }
          this.#pendingCheckpoint = event.position;
          this.#processed = event.position;
        }
        this.#scheduleFlush();
        if (this.#waiters.size > 0) for (const waiter of [...this.#waiters]) waiter();
      }
    } catch (error) {
      if (!this.#stopped) this.onError(error);
    }
  }

  /** This process recorded the stream's state at `revision` or later: its deadlines are known. */
  #isRecorded(stream: string, revision: number): boolean {
    const recorded = this.#recorded.get(stream) ?? this.#recordedBefore.get(stream);
    return recorded !== undefined && recorded >= revision;
  }

  #record(stream: string, kind: AnyActorKind, folded: Folded): void {
    if (!kind.deadlines) return;
    this.#setPending(stream, kind.deadlines(folded.state));
    const before = this.#recorded.get(stream) ?? this.#recordedBefore.get(stream) ?? -1;
    this.#recorded.set(stream, Math.max(before, folded.revision));
    this.#scheduleFlush();
  }

  /** New deadlines of a stream, armed at once if they fall before the armed timer. */
  #setPending(stream: string, deadlines: Deadlines): void {
    this.#pending.set(stream, deadlines);
    let earliest = this.#pendingEarliest;
    for (const { dueAt } of deadlines) if (earliest === undefined || dueAt < earliest) earliest = dueAt;
    if (earliest === this.#pendingEarliest) return;
    this.#pendingEarliest = earliest;
    if (earliest !== undefined && (this.#armedAt === undefined || earliest < this.#armedAt)) this.#arm();
  }

  #scheduleFlush(): void {
    if (this.#pending.size >= FLUSH_AT_PENDING) {
      this.#flushSafely();
      return;
    }
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => this.#flushSafely(), FLUSH_INTERVAL_MS);
    this.#flushTimer.unref();
  }

  #flushSafely(): void {
    try {
      this.#flush();
      this.#arm();
    } catch (error) {
      this.onError(error);
    }
  }

  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.size === 0 && this.#pendingCheckpoint === undefined) return;
    this.index.replace(this.#pending, this.#pendingCheckpoint);
    this.#pending.clear();
    if (this.#recorded.size > MAX_RECORDED) {
      this.#recordedBefore = this.#recorded;
      this.#recorded = new Map();
    }
    this.#pendingEarliest = undefined;
    this.#pendingCheckpoint = undefined;
  }

  #arm(): void {
    if (this.#stopped || this.#firing) return;
    const stored = this.index.earliest();
    const pending = this.#pendingEarliest;
    const earliest = stored === undefined || (pending !== undefined && pending < stored) ? pending : stored;
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
