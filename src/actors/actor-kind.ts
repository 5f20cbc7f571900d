import type { EffectRequest } from './fold.js';
import type { AnyStateMachine, EventFromLogic, InputFrom, SnapshotFrom } from 'xstate';
import type { z } from 'zod';
import type { JsonObject } from '../events/json.js';

/** A command as it arrives (from a tool call, an effect, a peer): validated by the kind's schema. */
export type CommandInput = { type: string; [field: string]: unknown };

/** What a machine's `decide` may use besides state and command: the runtime's clock and ids. */
export interface DecideContext {
  /** The actor's id (the part after `<category>-` in its stream name). */
  actorId: string;
  /** Milliseconds since the epoch, from the runtime's clock (simulated in tests). */
  now: number;
  /** `now` as ISO 8601, as the command's events record it (the runtime fills it; see isoNow). */
  at?: string;
  /** A fresh UUID from the runtime (deterministic in tests). */
  newId(): string;
}

/** The decision's time as ISO 8601: the runtime's, or computed from `now`. */
export function isoNow(context: DecideContext): string {
  return context.at ?? new Date(context.now).toISOString();
}

/** A delay derived from state: when `dueAt` passes, `event` is appended if the deadline still holds. */
export interface Deadline<Event> {
  /** Stable name of the deadline within the actor (e.g. `heartbeat`, `escalation:no_progress`). */
  key: string;
  dueAt: number;
  /**
   * Read only when the deadline fires, so it may be a getter on the deadline's class (deadlines are
   * computed after every command; their events are seldom needed).
   */
  readonly event: Event;
}

/** An event as it was recorded, handed to `upcast` when an older machine version recorded it. */
export interface StoredMachineEvent {
  type: string;
  data: JsonObject;
}

/**
 * One kind of event-sourced actor (agent, thread, subscription): its XState machine and the pure
 * functions the runtime needs around it. Machine events are the stored events: `{ type, ...data }`,
 * past tense, JSON only. Commands are imperative and validated by `commandSchema` before `decide`.
 */
export interface ActorKind<Machine extends AnyStateMachine, Command extends { type: string }> {
  /** Stream category: the actor `x` of this kind lives in stream `${category}-x`. */
  category: string;
  machine: Machine;
  /** Bumped whenever the machine would fold recorded events differently. Recorded in each event's metadata. */
  version: number;
  /**
   * Bumped whenever the shape of the folded state changes (the machine's states or its context) while
   * events keep their meaning: snapshots of another state version are not restored, the stream is folded
   * from zero. Defaults to `version`. Apart from it so that builds sharing a store, or a build rolled
   * back, keep reading each other's events.
   */
  stateVersion?: number;
  commandSchema: z.ZodType<Command>;
  /** Input of the machine's initial transition for actor `id`, before any event. */
  input(id: string): InputFrom<Machine>;
  /**
   * The events a command produces in the given state, or a thrown DomainError (nothing is appended).
   * Pure: times and ids come from `context`, never from Date.now or Math.random.
   */
  decide(state: SnapshotFrom<Machine>, command: Command, context: DecideContext): EventFromLogic<Machine>[];
  /**
   * Optional, for speed, in place of `decide`: for a kind whose decide folds each event as it adds it
   * (the thread's ThreadOutcome), the events with the state and actions that fold gave, so the runtime
   * does not fold them again. `folded` must be exactly what folding `events` one by one with the
   * machine's transition gives; without it the runtime folds them.
   */
  decideFolding?(
    state: SnapshotFrom<Machine>,
    command: Command,
    context: DecideContext,
  ): {
    events: EventFromLogic<Machine>[];
    folded?: { state: SnapshotFrom<Machine>; actions: EffectRequest[] };
  };
  /** Durable delays the current state implies (heartbeat timeout, thread escalation…). */
  deadlines?(state: SnapshotFrom<Machine>): Deadline<EventFromLogic<Machine>>[];
  /** Maps an event recorded by an older machine version to the current one; undefined refuses it. */
  upcast?(event: StoredMachineEvent, recordedVersion: number): EventFromLogic<Machine> | undefined;
  /** The state as JSON for answers, replay and projections. */
  view(state: SnapshotFrom<Machine>): JsonObject;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds kinds of every machine and command type.
export type AnyActorKind = ActorKind<AnyStateMachine, any>;
