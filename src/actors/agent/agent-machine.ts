import { assign, setup } from 'xstate';
import type { JsonObject } from '../../events/json.js';
import {
  type AgentContext,
  emptyAgentContext,
  findCurrentTask,
  findRecentTask,
  profileOf,
  withAssignedTask,
  withFinishedTask,
  withStartedTask,
} from './agent-context.js';
import type { AgentEvent, CostLimits } from './agent-events.js';

/** Params of the `requestTaskExecution` effect: everything needed to run the task, keyed by `${agentId}:${taskId}`. */
export interface RequestTaskExecutionParams {
  agentId: string;
  taskId: string;
  type: string;
  description: string;
  input: JsonObject;
  threadId: string | null;
  model: string | null;
  systemPrompt: string | null;
  costLimits: CostLimits | null;
}

/**
 * An LLM agent. States: `unannounced` (only AgentAnnounced is accepted) → `announced`, which is
 * `online.idle` / `online.busy` (by in-flight task count), `offline` (heartbeat deadline passed) or `error`
 * → `retired` (final). Guards repeat the invariants `decide` checks, so a foreign or stale event is refused
 * by `snapshot.can` instead of corrupting the context.
 */
export const agentMachine = setup({
  types: { context: {} as AgentContext, events: {} as AgentEvent, input: {} as { id: string } },
  guards: {
    hasTasks: ({ context }) => context.current_tasks.length > 0,
    hasNoTasks: ({ context }) => context.current_tasks.length === 0,
    canTakeTask: ({ context, event }) =>
      event.type === 'TaskAssigned' &&
      context.current_tasks.length < context.profile.max_tasks &&
      !findCurrentTask(context, event.task_id) &&
      !findRecentTask(context, event.task_id),
    taskIsPending: ({ context, event }) =>
      event.type === 'TaskStarted' && findCurrentTask(context, event.task_id)?.status === 'pending',
    taskIsInFlight: ({ context, event }) =>
      (event.type === 'TaskCompleted' || event.type === 'TaskFailed') &&
      findCurrentTask(context, event.task_id) !== undefined,
    heartbeatTimedOut: ({ context, event }) =>
      event.type === 'AgentWentOffline' && event.last_heartbeat === context.last_heartbeat,
  },
  actions: {
    /** Effect placeholder: the runtime runs the task (LLM call) after the append, then records its outcome. */
    requestTaskExecution: (_, _params: RequestTaskExecutionParams) => {},
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => emptyAgentContext(input.id),
  initial: 'unannounced',
  states: {
    unannounced: {
      on: {
        AgentAnnounced: {
          target: 'announced',
          actions: assign(({ event }) => ({
            profile: profileOf(event),
            created_at: event.announced_at,
            last_activity: event.announced_at,
            last_heartbeat: event.announced_at,
          })),
        },
      },
    },
    announced: {
      initial: 'online',
      on: {
        AgentProfileUpdated: {
          actions: assign(({ event }) => ({
            profile: profileOf(event),
            last_activity: event.updated_at,
            last_heartbeat: event.updated_at,
          })),
        },
        AgentErrorReported: {
          target: '.error',
          actions: assign(({ event }) => ({
            last_error: { code: event.code, message: event.message, at: event.at },
            last_activity: event.at,
          })),
        },
        TaskStarted: {
          guard: 'taskIsPending',
          actions: assign(({ context, event }) => withStartedTask(context, event.task_id, event.started_at)),
        },
        TaskCompleted: {
          guard: 'taskIsInFlight',
          actions: assign(({ context, event }) => withFinishedTask(context, event)),
        },
        TaskFailed: {
          guard: 'taskIsInFlight',
          actions: assign(({ context, event }) => withFinishedTask(context, event)),
        },
        AgentRetired: {
          guard: 'hasNoTasks',
          target: 'retired',
          actions: assign(({ event }) => ({
            retired_at: event.retired_at,
            retire_reason: event.reason,
            last_activity: event.retired_at,
          })),
        },
      },
      states: {
        online: {
          initial: 'idle',
          states: {
            idle: { always: { guard: 'hasTasks', target: 'busy' } },
            busy: { always: { guard: 'hasNoTasks', target: 'idle' } },
          },
          on: {
            AgentHeartbeatReceived: {
              actions: assign(({ event }) => ({ last_heartbeat: event.at, last_activity: event.at })),
            },
            TaskAssigned: {
              guard: 'canTakeTask',
              actions: [
                assign(({ context, event }) => withAssignedTask(context, event)),
                {
                  type: 'requestTaskExecution',
                  params: ({ context, event }) => ({
                    agentId: context.id,
                    taskId: event.task_id,
                    type: event.task_type,
                    description: event.description,
                    input: event.input,
                    threadId: event.thread_id,
                    model: context.profile.model,
                    systemPrompt: context.profile.system_prompt,
                    costLimits: context.profile.cost_limits,
                  }),
                },
              ],
            },
            AgentWentOffline: {
              guard: 'heartbeatTimedOut',
              target: 'offline',
              actions: assign(({ event }) => ({ last_activity: event.at })),
            },
          },
        },
        offline: {
          on: {
            AgentCameOnline: {
              target: 'online',
              actions: assign(({ event }) => ({ last_heartbeat: event.at, last_activity: event.at })),
            },
            AgentProfileUpdated: {
              target: 'online',
              actions: assign(({ event }) => ({
                profile: profileOf(event),
                last_activity: event.updated_at,
                last_heartbeat: event.updated_at,
              })),
            },
          },
        },
        error: {
          on: {
            AgentHeartbeatReceived: {
              actions: assign(({ event }) => ({ last_heartbeat: event.at, last_activity: event.at })),
            },
            AgentRecovered: {
              target: 'online',
              actions: assign(({ event }) => ({ last_activity: event.at })),
            },
          },
        },
      },
    },
    retired: { type: 'final' },
  },
});

export type AgentMachine = typeof agentMachine;
