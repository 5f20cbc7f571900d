import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import type { ActorKind, CommandInput, DecideContext } from '../../src/actors/actor-kind.js';
import { applyEvent, decideAndApply, initialState } from '../../src/actors/fold.js';
import { isBzzzError } from '../../src/errors.js';

/** A fixed instant for specs: decide() must take its time from the context, so results are exact. */
export const SPEC_NOW = Date.parse('2026-03-01T12:00:00.000Z');

/**
 * given / when / then specs for an actor kind, Emmett-style, with no runtime and no store:
 * `spec(kind, 'a1').given(events).when(command).then(expectedEvents)`,
 * `.thenThrows(code)` or `.thenNothingHappened()`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs cover every command type.
export function spec<M extends AnyStateMachine>(kind: ActorKind<M, any>, actorId = 'a1') {
  return {
    given(history: EventFromLogic<M>[] = [], now = SPEC_NOW) {
      let state: SnapshotFrom<M> = initialState(kind, actorId);
      for (const event of history) state = applyEvent(kind, state, event)[0];
      let counter = 0;
      const context: DecideContext = {
        actorId,
        now,
        newId: () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
      };
      return {
        state,
        when(command: CommandInput) {
          const run = () => decideAndApply(kind, state, command, context);
          return {
            then(expected: EventFromLogic<M>[]) {
              const outcome = run();
              expect(outcome.events).toEqual(expected);
              return outcome.state;
            },
            thenThrows(code: string, message?: RegExp) {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(isBzzzError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
              if (message) expect((caught as Error).message).toMatch(message);
            },
            thenNothingHappened() {
              expect(run().events).toEqual([]);
            },
          };
        },
      };
    },
  };
}

export const uuid = () => randomUUID();
