import { assign, setup } from 'xstate';
import { z } from 'zod';
import type { ActorKind } from '../../src/actors/actor-kind.js';
import { DomainError } from '../../src/actors/domain-error.js';

/**
 * A small actor kind for runtime tests: a lamp that is installed, switched on for a while (a durable
 * deadline burns it out), switched off, and counts presses. Switching on requests an effect.
 */
type LampEvent =
  | { type: 'LampInstalled'; room: string }
  | { type: 'LampSwitchedOn'; until: number }
  | { type: 'LampSwitchedOff' }
  | { type: 'LampBurnedOut'; at: number }
  | { type: 'LampPressed'; by: string }
  | { type: 'LampLit'; key: string };

const lampCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Install'), room: z.string().min(1) }),
  z.object({ type: z.literal('SwitchOn'), minutes: z.number().int().positive() }),
  z.object({ type: z.literal('SwitchOff') }),
  z.object({ type: z.literal('Press'), by: z.string() }),
  z.object({ type: z.literal('ConfirmLit'), key: z.string() }),
]);
type LampCommand = z.infer<typeof lampCommand>;

export const lampMachine = setup({
  types: {} as {
    context: { id: string; room: string; presses: number; until: number | null; lit: string[] };
    events: LampEvent;
    input: { id: string };
  },
  actions: { announceLit: (_, _params: { lamp: string; until: number }) => {} },
}).createMachine({
  id: 'lamp',
  context: ({ input }) => ({ id: input.id, room: '', presses: 0, until: null, lit: [] }),
  initial: 'uninstalled',
  on: {
    LampPressed: { actions: assign({ presses: ({ context }) => context.presses + 1 }) },
    LampLit: { actions: assign({ lit: ({ context, event }) => [...context.lit, event.key] }) },
  },
  states: {
    uninstalled: {
      on: { LampInstalled: { target: 'off', actions: assign({ room: ({ event }) => event.room }) } },
    },
    off: {
      on: {
        LampSwitchedOn: {
          target: 'on',
          actions: [
            assign({ until: ({ event }) => event.until }),
            {
              type: 'announceLit',
              params: ({ context, event }) => ({ lamp: context.id, until: event.until }),
            },
          ],
        },
      },
    },
    on: {
      on: {
        LampSwitchedOff: { target: 'off', actions: assign({ until: null }) },
        LampBurnedOut: { target: 'burnt', actions: assign({ until: null }) },
      },
    },
    burnt: {},
  },
});

export const lampKind: ActorKind<typeof lampMachine, LampCommand> = {
  category: 'lamp',
  machine: lampMachine,
  version: 1,
  commandSchema: lampCommand,
  input: (id) => ({ id }),
  decide(state, command, context) {
    if (command.type !== 'Install' && state.matches('uninstalled')) {
      throw new DomainError('INVALID_PARAMETERS', `lamp ${context.actorId} is not installed`);
    }
    switch (command.type) {
      case 'Install':
        return [{ type: 'LampInstalled', room: command.room }];
      case 'SwitchOn':
        return state.matches('on')
          ? []
          : [{ type: 'LampSwitchedOn', until: context.now + command.minutes * 60_000 }];
      case 'SwitchOff':
        return [{ type: 'LampSwitchedOff' }];
      case 'Press':
        return [{ type: 'LampPressed', by: command.by }];
      case 'ConfirmLit':
        return state.context.lit.includes(command.key) ? [] : [{ type: 'LampLit', key: command.key }];
    }
  },
  deadlines(state) {
    const until = state.context.until;
    return state.matches('on') && until !== null
      ? [{ key: 'burnout', dueAt: until, event: { type: 'LampBurnedOut', at: until } }]
      : [];
  },
  view: (state) => ({
    id: state.context.id,
    status: String(state.value),
    room: state.context.room,
    presses: state.context.presses,
    lit: state.context.lit,
  }),
};
