import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
  initialTransition,
  type SnapshotFrom,
} from 'xstate';
import type { JsonObject } from '../events/json.js';
import type { ActorKind, CommandInput, DecideContext } from './actor-kind.js';
import { DomainError, DomainErrorCode } from './domain-error.js';
import { transitionPure } from './transition-scope.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- folding is the same for every command type.
type Kind<M extends AnyStateMachine> = ActorKind<M, any>;

/** An action XState returned for the runtime to run after the append (never during replay). */
export interface EffectRequest {
  type: string;
  params: unknown;
}

/** The state of an actor that has no event yet. Runs no effects. */
export function initialState<M extends AnyStateMachine>(kind: Kind<M>, actorId: string): SnapshotFrom<M> {
  return initialTransition(kind.machine, kind.input(actorId))[0] as SnapshotFrom<M>;
}

/**
 * Folds one event into a state with XState's pure transition (see transition-scope.ts). An event the machine does not accept
 * in this state is an INVALID_TRANSITION naming the state. Returns the actions instead of running them.
 */
export function applyEvent<M extends AnyStateMachine>(
  kind: Kind<M>,
  state: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): [SnapshotFrom<M>, EffectRequest[]] {
  const [next, actions] = transitionPure(kind.machine, kind.input('fold'), state, event);
  // XState hands back the same snapshot when no transition was taken; can() confirms on that rare path.
  if (next === state && !(state as AnyMachineSnapshot).can(event)) {
    const value = (state as AnyMachineSnapshot).value;
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      `${kind.category} cannot take ${event.type} in state ${JSON.stringify(value)}`,
      { state: value as JsonObject, event: event.type },
    );
  }
  return [next as SnapshotFrom<M>, actions];
}

/** Decides a command and folds the resulting events: what the runtime will append, and the state after. */
export function decideAndApply<M extends AnyStateMachine>(
  kind: Kind<M>,
  state: SnapshotFrom<M>,
  command: CommandInput,
  context: DecideContext,
): { events: EventFromLogic<M>[]; state: SnapshotFrom<M>; effects: EffectRequest[] } {
  const parsed = kind.commandSchema.safeParse(command);
  if (!parsed.success) {
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      `invalid ${command.type ?? 'command'}: ${parsed.error.message}`,
      {
        issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      },
    );
  }
  const decided = kind.decideFolding
    ? kind.decideFolding(state, parsed.data, context)
    : { events: kind.decide(state, parsed.data, context) };
  const events = decided.events;
  if (decided.folded) return { events, state: decided.folded.state, effects: decided.folded.actions };
  let next = state;
  const effects: EffectRequest[] = [];
  for (const event of events) {
    const [after, actions] = applyEvent(kind, next, event);
    next = after;
    effects.push(...actions);
  }
  return { events, state: next, effects };
}

/** Splits a machine event into the stored type and data. */
export function toStoredEvent(event: { type: string }): { type: string; data: JsonObject } {
  const { type, ...data } = event as { type: string } & JsonObject;
  return { type, data };
}

/** Rebuilds the machine event from a stored type and data. */
export function fromStoredEvent<E>(type: string, data: JsonObject): E {
  return { ...data, type } as E;
}
