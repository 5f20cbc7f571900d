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

const agentSetup = setup({
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
    /** `taskIsInFlight`, and it is the only task in flight: finishing it leaves none. */
    finishesLastTask: ({ context, event }) =>
      (event.type === 'TaskCompleted' || event.type === 'TaskFailed') &&
      context.current_tasks.length === 1 &&
      context.current_tasks[0]!.id === event.task_id,
    heartbeatTimedOut: ({ context, event }) =>
      event.type === 'AgentWentOffline' && event.last_heartbeat === context.last_heartbeat,
  },
  actions: {
    /** Effect placeholder: the runtime runs the task (LLM call) after the append, then records its outcome. */
    requestTaskExecution: (_, _params: RequestTaskExecutionParams) => {},
  },
});

/** Taken in every announced state (idle, busy, offline, error); targetless but for errors and retiring. */
const announced = agentSetup.createStateConfig({
  on: {
    AgentProfileUpdated: {
      actions: assign(({ event }) => ({
        profile: profileOf(event),
        last_activity: event.updated_at,
        last_heartbeat: event.updated_at,
      })),
    },
    AgentErrorReported: {
      target: 'error',
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
}).on;

/** Taken online (idle and busy); the heartbeat is also taken in `error`. TaskAssigned is targetless here. */
const online = agentSetup.createStateConfig({
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
}).on;

/** What brings an agent back online (from offline or error), without targets: see `backOnline`. */
const returning = agentSetup.createStateConfig({
  on: {
    AgentCameOnline: {
      actions: assign(({ event }) => ({ last_heartbeat: event.at, last_activity: event.at })),
    },
    AgentRecovered: {
      actions: assign(({ event }) => ({ last_activity: event.at })),
    },
  },
}).on;

/** Back online: `busy` while tasks are still in flight, `idle` otherwise. */
function backOnline<T extends object>(transition: T) {
  return [
    { ...transition, guard: 'hasTasks', target: 'busy' },
    { ...transition, target: 'idle' },
  ] as const;
}

/** In `busy`: finishing the last in-flight task goes to `idle`, finishing another one stays. */
function toIdleWhenLast<T extends object>(transition: T) {
  return [{ ...transition, guard: 'finishesLastTask', target: 'idle' }, transition] as const;
}

/**
 * An LLM agent, one flat level of states: `unannounced` (only AgentAnnounced is accepted) → `idle` / `busy`
 * (online, by in-flight task count: `busy` while at least one task is in flight), `offline` (heartbeat
 * deadline passed) or `error` → `retired` (final). Task outcomes, profile updates, errors and retiring are
 * taken in every announced state; tasks are assigned and heartbeats go offline only online. No nesting and
 * no eventless transitions: XState's transition cost grows with both, and every command folds through it.
 * Guards repeat the invariants `decide` checks, so a foreign or stale event is refused by `snapshot.can`
 * instead of corrupting the context.
 */
export const agentMachine = agentSetup.createMachine({
  id: 'agent',
  context: ({ input }) => emptyAgentContext(input.id),
  initial: 'unannounced',
  states: {
    unannounced: {
      on: {
        AgentAnnounced: {
          target: 'idle',
          actions: assign(({ event }) => ({
            profile: profileOf(event),
            created_at: event.announced_at,
            last_activity: event.announced_at,
            last_heartbeat: event.announced_at,
          })),
        },
      },
    },
    idle: {
      on: { ...announced, ...online, TaskAssigned: { ...online.TaskAssigned, target: 'busy' } },
    },
    busy: {
      on: {
        ...announced,
        ...online,
        TaskCompleted: toIdleWhenLast(announced.TaskCompleted),
        TaskFailed: toIdleWhenLast(announced.TaskFailed),
      },
    },
    offline: {
      on: {
        ...announced,
        AgentCameOnline: backOnline(returning.AgentCameOnline),
        AgentProfileUpdated: backOnline(announced.AgentProfileUpdated),
      },
    },
    error: {
      // A profile update (from `announced`) keeps the agent in error: only AgentRecovered leaves it.
      on: {
        ...announced,
        AgentHeartbeatReceived: online.AgentHeartbeatReceived,
        AgentRecovered: backOnline(returning.AgentRecovered),
      },
    },
    retired: { type: 'final' },
  },
});

export type AgentMachine = typeof agentMachine;
