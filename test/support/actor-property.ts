import { expect } from 'vitest';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import type { ActorKind, DecideContext } from '../../src/actors/actor-kind.js';
import { DomainError } from '../../src/actors/domain-error.js';
import {
  applyEvent,
  decideAndApply,
  fromStoredEvent,
  initialState,
  toStoredEvent,
} from '../../src/actors/fold.js';
import { restoreSnapshot, snapshotOf } from '../../src/actors/rehydrate.js';
import { whyNotJson } from '../../src/events/json.js';

/** One step of a random history: a command after `advanceMs`, or firing the deadlines that are due. */
export type PropertyStep =
  { command: { type: string }; advanceMs: number } | { fireDeadlinesAfterMs: number };

/**
 * Runs random steps the way the runtime would and checks what must always hold: decide() throws nothing
 * but DomainErrors, every event is plain JSON and survives the stored round trip, and folding all
 * recorded events from zero gives the same view as the states decideAndApply returned. Every third step
 * goes on from a JSON snapshot of the state, so snapshots must not change what the actor decides.
 */
export function checkHistory<M extends AnyStateMachine>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any command type.
  kind: ActorKind<M, any>,
  actorId: string,
  steps: PropertyStep[],
) {
  let now = Date.parse('2026-03-01T00:00:00.000Z');
  let ids = 0;
  const context: DecideContext = { actorId, now, newId: () => `id-${++ids}` };
  let state: SnapshotFrom<M> = initialState(kind, actorId);
  const recorded: EventFromLogic<M>[] = [];
  for (const [index, step] of steps.entries()) {
    if (index % 3 === 2) {
      state = restoreSnapshot(kind, snapshotOf(kind, 'snapshot', { state, revision: 0 }))!
        .state as SnapshotFrom<M>;
    }
    if ('fireDeadlinesAfterMs' in step) {
      now += step.fireDeadlinesAfterMs;
      for (const deadline of kind.deadlines?.(state) ?? []) {
        if (deadline.dueAt > now) continue;
        state = applyEvent(kind, state, deadline.event)[0];
        recorded.push(deadline.event);
      }
      continue;
    }
    now += step.advanceMs;
    context.now = now;
    try {
      const outcome = decideAndApply(kind, state, step.command, context);
      state = outcome.state;
      recorded.push(...outcome.events);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  for (const event of recorded) expect(whyNotJson(event)).toBeUndefined();
  let replayed = initialState(kind, actorId);
  for (const event of recorded) {
    const stored = JSON.parse(JSON.stringify(toStoredEvent(event))) as ReturnType<typeof toStoredEvent>;
    replayed = applyEvent(kind, replayed, fromStoredEvent<EventFromLogic<M>>(stored.type, stored.data))[0];
  }
  expect(kind.view(replayed)).toEqual(kind.view(state));
  return { state, recorded };
}
