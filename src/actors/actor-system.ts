import { randomUUID } from 'node:crypto';
import type { AnyMachineSnapshot } from 'xstate';
import { isBzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import { isoTime } from '../events/iso-time.js';
import type { JsonObject } from '../events/json.js';
import type { NewEvent } from '../events/types.js';
import { ActorCell } from './actor-cell.js';
import type { AnyActorKind, CommandInput, DecideContext } from './actor-kind.js';
import { type Clock, systemClock } from './clock.js';
import { type CommandResult, commandResult } from './command-result.js';
import { DomainError, DomainErrorCode } from './domain-error.js';
import type { EffectOutbox, StagedEffect } from './effect-outbox.js';
import { type EffectFailure, type EffectHandler, EffectRunner } from './effects.js';
import { applyEvent, decideAndApply, type EffectRequest, initialState, toStoredEvent } from './fold.js';
import { catchUp, type Folded, MACHINE_VERSION_KEY, restoreSnapshot, snapshotOf } from './rehydrate.js';
import type { Snapshot, SnapshotStore } from './snapshot-store.js';

/** Actor ids become stream names: the store's rules for stream names, checked before the store sees them. */
const ACTOR_ID = /^[^\s\p{Cc}]{1,256}$/u;

export interface ActorSystemOptions {
  store: EventStore;
  kinds: readonly AnyActorKind[];
  clock?: Clock;
  newId?: () => string;
  snapshots?: SnapshotStore;
  /** Take a snapshot each time an actor's revision crosses a multiple of this (default 100). */
  snapshotEvery?: number;
  /** Passivate actors unused for this long (ms, default 5 minutes). */
  idleAfterMs?: number;
  /** Most actors kept in memory; the least recently used idle ones are passivated beyond it. */
  maxLiveActors?: number;
  /** Reloads and retries after a concurrent writer won, before failing with CONCURRENCY_CONFLICT. */
  maxConflictRetries?: number;
  effects?: Readonly<Record<string, EffectHandler>>;
  onEffectFailure?: (failure: EffectFailure) => void;
  /** Where effects are staged so that a crash cannot lose them (none: effects run at most once). */
  outbox?: EffectOutbox;
}

export type { CommandResult } from './command-result.js';

/** Who caused a command, carried into its events' metadata. */
export interface CommandMetadata {
  correlationId?: string;
  causationId?: string;
}

/** An actor's current state, for queries that must not go through a projection. */
export interface ActorState {
  exists: boolean;
  revision: number;
  state: JsonObject;
  snapshot: AnyMachineSnapshot;
}

/**
 * Locates actors by category and id, rehydrating them from their streams on first use; one mailbox per
 * actor; decide with the pure transition, append with the expected revision, only then adopt the state
 * and run the effects.
 */
export class ActorSystem {
  readonly #kinds = new Map<string, AnyActorKind>();
  readonly #cells = new Map<string, ActorCell>();
  /** Insertions into #cells so far (see #cell). */
  #insertions = 0;
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #newId: () => string;
  readonly #snapshots: SnapshotStore | undefined;
  readonly #snapshotEvery: number;
  readonly #idleAfterMs: number;
  readonly #maxLive: number;
  readonly #maxRetries: number;
  readonly #effects: EffectRunner;
  readonly #sweeper: NodeJS.Timeout;
  /** Called after every adopted state (the deadline tracker listens). */
  onAdopted: ((stream: string, kind: AnyActorKind, folded: Folded) => void) | undefined;

  constructor(options: ActorSystemOptions) {
    for (const kind of options.kinds) this.#kinds.set(kind.category, kind);
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#newId = options.newId ?? randomUUID;
    this.#snapshots = options.snapshots;
    this.#snapshotEvery = options.snapshotEvery ?? 100;
    this.#idleAfterMs = options.idleAfterMs ?? 300_000;
    this.#maxLive = options.maxLiveActors ?? 50_000;
    this.#maxRetries = options.maxConflictRetries ?? 5;
    this.#effects = new EffectRunner(
      options.effects ?? {},
      options.onEffectFailure ?? (() => {}),
      options.outbox,
    );
    this.#sweeper = setInterval(() => this.passivateIdle(), Math.max(1000, this.#idleAfterMs / 2));
    this.#sweeper.unref();
  }

  get clock(): Clock {
    return this.#clock;
  }

  get kinds(): AnyActorKind[] {
    return [...this.#kinds.values()];
  }

  /** Actors currently in memory. */
  get liveActors(): number {
    return this.#cells.size;
  }

  /** Handles a command on actor `actorId` of `category`, one at a time per actor. */
  async send(
    category: string,
    actorId: string,
    command: CommandInput,
    metadata: CommandMetadata = {},
  ): Promise<CommandResult> {
    const cell = this.#cell(category, actorId);
    return cell.mailbox.run(() => this.#handle(cell, command, metadata));
  }

  /**
   * The actor's current state, caught up with events other processes may have written, read in its
   * mailbox so it never sees half a command.
   */
  async inspect(category: string, actorId: string): Promise<ActorState> {
    const cell = this.#cell(category, actorId);
    return cell.mailbox.run(async () => {
      const folded = await catchUp(cell.kind, this.#store, cell.stream, await this.#load(cell));
      cell.folded = folded;
      return {
        exists: folded.revision >= 0,
        revision: folded.revision,
        state: cell.kind.view(folded.state),
        snapshot: folded.state,
      };
    });
  }

  /** Brings an actor up to at least `revision` (events written by another process) and returns it. */
  async refresh(stream: string, revision: number): Promise<{ kind: AnyActorKind; folded: Folded }> {
    const { category, actorId } = this.#parseStream(stream);
    const cell = this.#cell(category, actorId);
    return cell.mailbox.run(async () => {
      let folded = await this.#load(cell);
      if (folded.revision < revision)
        folded = cell.folded = await catchUp(cell.kind, this.#store, stream, folded);
      return { kind: cell.kind, folded };
    });
  }

  /** Appends a due deadline's event if the actor's current state still implies it; otherwise nothing. */
  async fireDeadline(stream: string, key: string): Promise<CommandResult> {
    const { category, actorId } = this.#parseStream(stream);
    const cell = this.#cell(category, actorId);
    return cell.mailbox.run(() =>
      this.#commit(cell, { causationId: `deadline:${key}` }, 'deadline', (folded) => {
        const deadline = cell.kind.deadlines?.(folded.state).find((d) => d.key === key);
        if (!deadline || deadline.dueAt > this.#clock.now())
          return { events: [], state: folded.state, effects: [] };
        const event = deadline.event; // built when read
        const [state, effects] = applyEvent(cell.kind, folded.state, event);
        return { events: [event], state, effects };
      }),
    );
  }

  /** Drops idle actors unused for `idleAfterMs`; they rehydrate on their next command. */
  passivateIdle(): number {
    const cutoff = this.#clock.now() - this.#idleAfterMs;
    let passivated = 0;
    for (const [key, cell] of this.#cells) {
      if (cell.idle && cell.lastUsed <= cutoff) {
        this.#cells.delete(key);
        passivated++;
      }
    }
    return passivated;
  }

  /** Runs again the effects a crash interrupted (call once at start). Returns how many. */
  recoverEffects(): Promise<number> {
    return this.#effects.recover(
      async (stream, revision) =>
        (await this.#store.readStream(stream, { fromRevision: revision, maxCount: 1 })).length > 0,
    );
  }

  /** Waits for every effect in flight. */
  settled(): Promise<void> {
    return this.#effects.settled();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#cells.values()].map((cell) => cell.mailbox.run(async () => {})));
    await this.#effects.settled();
  }

  #handle(cell: ActorCell, command: CommandInput, metadata: CommandMetadata): Promise<CommandResult> {
    return this.#commit(cell, metadata, command.type, (folded, context) =>
      decideAndApply(cell.kind, folded.state, command, context),
    );
  }

  /** decide → append with the expected revision → adopt → effects, reloading and retrying on conflicts. */
  async #commit(
    cell: ActorCell,
    metadata: CommandMetadata,
    cause: string,
    decide: (
      folded: Folded,
      context: DecideContext,
    ) => {
      events: { type: string }[];
      state: AnyMachineSnapshot;
      effects: EffectRequest[];
    },
  ): Promise<CommandResult> {
    for (let attempt = 0; ; attempt++) {
      const now = this.#clock.now();
      cell.lastUsed = now;
      const folded = cell.folded ?? (await this.#load(cell));
      const at = isoTime(now);
      const outcome = decide(folded, { actorId: cell.actorId, now, at, newId: this.#newId });
      if (outcome.events.length === 0) return commandResult(cell, folded, []);
      const events = this.#toNewEvents(cell, outcome.events, metadata, cause, at);
      const effects = this.#effects.stage(
        this.#effectsOf(cell, folded.revision + events.length, outcome.effects),
      );
      try {
        const appended = await this.#store.append(cell.stream, events, {
          expectedRevision: folded.revision < 0 ? 'no_stream' : folded.revision,
        });
        const adopted = { state: outcome.state, revision: appended.nextExpectedRevision };
        this.#adopt(cell, folded, adopted);
        for (const effect of effects) this.#effects.run(effect);
        const first = adopted.revision - events.length + 1;
        return commandResult(
          cell,
          adopted,
          outcome.events.map((e, i) => ({ type: e.type, revision: first + i })),
          appended.position,
        );
      } catch (error) {
        this.#effects.discard(effects);
        if (!isBzzzError(error, 'WRONG_EXPECTED_REVISION')) throw error;
        cell.folded = await catchUp(cell.kind, this.#store, cell.stream, folded);
        if (attempt >= this.#maxRetries) {
          throw new DomainError(
            DomainErrorCode.ConcurrencyConflict,
            `${cell.stream} kept changing under ${cause}: gave up after ${attempt + 1} attempts`,
            { stream: cell.stream, attempts: attempt + 1 },
          );
        }
      }
    }
  }

  /** Effects of an append that will make the actor's revision `revision`, keyed `<stream>@<revision>#<i>`. */
  #effectsOf(cell: ActorCell, revision: number, requests: EffectRequest[]): StagedEffect[] {
    return requests.map((request, index) => ({
      type: request.type,
      params: request.params,
      category: cell.kind.category,
      actorId: cell.actorId,
      stream: cell.stream,
      revision,
      idempotencyKey: `${cell.stream}@${revision}#${index}`,
    }));
  }

  #toNewEvents(
    cell: ActorCell,
    events: { type: string }[],
    metadata: CommandMetadata,
    cause: string,
    occurredAt: string,
  ): NewEvent[] {
    const version = cell.kind.version;
    let correlationId = metadata.correlationId;
    return events.map((event) => {
      const id = this.#newId();
      correlationId ??= id;
      return {
        id,
        ...toStoredEvent(event),
        metadata: {
          correlationId,
          causationId: metadata.causationId ?? correlationId,
          occurredAt,
          [MACHINE_VERSION_KEY]: version,
          cause,
        },
      };
    });
  }

  #adopt(cell: ActorCell, before: Folded, after: Folded): void {
    cell.folded = after;
    const every = this.#snapshotEvery;
    const crossed = Math.floor(after.revision / every) > Math.floor(before.revision / every);
    if (this.#snapshots && crossed && after.revision >= cell.snapshotNotBefore) {
      const snapshot = snapshotOf(cell.kind, cell.stream, after);
      this.#snapshots.save(snapshot);
      spaceSnapshots(cell, snapshot);
    }
    this.onAdopted?.(cell.stream, cell.kind, after);
  }

  async #load(cell: ActorCell): Promise<Folded> {
    cell.lastUsed = this.#clock.now();
    if (cell.folded) return cell.folded;
    const snapshot = this.#snapshots?.load(cell.stream);
    const restored = restoreSnapshot(cell.kind, snapshot);
    if (restored && snapshot) spaceSnapshots(cell, snapshot);
    const start = restored ?? { state: initialState(cell.kind, cell.actorId), revision: -1 };
    cell.folded = await catchUp(cell.kind, this.#store, cell.stream, start);
    return cell.folded;
  }

  #cell(category: string, actorId: string): ActorCell {
    const kind = this.#kinds.get(category);
    if (!kind) throw new DomainError(DomainErrorCode.InvalidParameters, `no actor kind "${category}"`);
    if (typeof actorId !== 'string' || !ACTOR_ID.test(actorId)) {
      throw new DomainError(
        DomainErrorCode.InvalidParameters,
        `${category} id ${JSON.stringify(actorId)} must be 1 to 256 characters without whitespace or control characters`,
        { [`${category}_id`]: String(actorId) },
      );
    }
    const stream = `${category}-${actorId}`;
    let cell = this.#cells.get(stream);
    if (cell) {
      // Map order is least-recently-used first, nearly: a cell moves to the back only once it has fallen
      // into the older half of the order (moving it on every command costs a delete and an insert).
      if (this.#insertions - cell.insertedAt <= this.#cells.size >> 1) return cell;
      this.#cells.delete(stream);
    } else {
      cell = new ActorCell(kind, actorId, stream, this.#clock.now());
      this.#evictBeyondLimit();
    }
    cell.insertedAt = this.#insertions++;
    this.#cells.set(stream, cell);
    return cell;
  }

  #evictBeyondLimit(): void {
    if (this.#cells.size < this.#maxLive) return;
    for (const [key, cell] of this.#cells) {
      if (this.#cells.size < this.#maxLive) return;
      if (cell.idle) this.#cells.delete(key);
    }
  }

  #parseStream(stream: string): { category: string; actorId: string } {
    const dash = stream.indexOf('-');
    const category = dash > 0 ? stream.slice(0, dash) : '';
    if (!this.#kinds.has(category))
      throw new DomainError(DomainErrorCode.InvalidParameters, `${stream} is not an actor stream`);
    return { category, actorId: stream.slice(dash + 1) };
  }
}

/**
 * Snapshot JSON (in characters) one event may cost on average: a snapshot serializes the whole state,
 * so one of 2 million characters (a thread of some 20,000 messages) is taken at most every 1,000 events
 * instead of every 100.
 */
const SNAPSHOT_CHARS_PER_EVENT = 2048;

function spaceSnapshots(cell: ActorCell, snapshot: Snapshot): void {
  cell.snapshotNotBefore = snapshot.revision + Math.ceil((snapshot.bytes ?? 0) / SNAPSHOT_CHARS_PER_EVENT);
}
