import type { JsonObject, JsonValue } from '../../events/json.js';
import type {
  AgentAnnounced,
  AgentProfile,
  AgentProfileUpdated,
  TaskAssigned,
  TaskCompleted,
  TaskFailed,
  TaskUsage,
} from './agent-events.js';

/** How many finished tasks an agent keeps for `recent_activity` (older ones survive only as counters). */
export const RECENT_TASKS_KEPT = 20;
export const DEFAULT_MAX_TASKS = 3;
export const DEFAULT_HEARTBEAT_TIMEOUT_S = 90;

export type AgentTaskStatus = 'pending' | 'in_progress' | 'completed' | 'failed';

/** A task the agent holds: in flight (pending, in_progress) or recently finished (completed, failed). */
export interface AgentTask {
  id: string;
  type: string;
  description: string;
  /** Kept while in flight so the runtime can re-run the execution effect after a restart; dropped when finished. */
  input: JsonObject | null;
  thread_id: string | null;
  status: AgentTaskStatus;
  /** When the task reached the agent (assignment), as the Go seed's AgentTask.StartTime. */
  start_time: string;
  /** When execution began (TaskStarted); null while pending. */
  started_at: string | null;
  end_time: string | null;
  /** Present once completed; any JSON, including null. */
  result?: JsonValue;
  error: { code: string; reason: string } | null;
  usage: TaskUsage | null;
}

export interface UsageTotals {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  /** Sum of the known task costs. */
  cost_usd: number;
}

/**
 * The machine's context. The profile is nested so that the context keeps few top-level keys: XState
 * copies the context with Object.assign on every assign, and V8 turns an object built that way with more
 * than about 16 keys into a slow dictionary-mode object (a heartbeat then cost several times more).
 */
export interface AgentContext {
  id: string;
  profile: AgentProfile;
  created_at: string | null;
  last_activity: string | null;
  last_heartbeat: string | null;
  current_tasks: AgentTask[];
  /** Newest first, at most {@link RECENT_TASKS_KEPT}. */
  recent_tasks: AgentTask[];
  completed_tasks: number;
  failed_tasks: number;
  usage: UsageTotals;
  last_error: { code: string; message: string; at: string } | null;
  retired_at: string | null;
  retire_reason: string | null;
}

/** The context of an agent that was never announced. */
export function emptyAgentContext(id: string): AgentContext {
  return {
    id,
    profile: {
      role: '',
      capabilities: [],
      specialization: '',
      max_tasks: DEFAULT_MAX_TASKS,
      model: null,
      system_prompt: null,
      cost_limits: null,
      project: null,
      owner: null,
      heartbeat_timeout_s: DEFAULT_HEARTBEAT_TIMEOUT_S,
    },
    created_at: null,
    last_activity: null,
    last_heartbeat: null,
    current_tasks: [],
    recent_tasks: [],
    completed_tasks: 0,
    failed_tasks: 0,
    usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cost_usd: 0 },
    last_error: null,
    retired_at: null,
    retire_reason: null,
  };
}

/** The profile fields of an announcement, without its type and times. */
export function profileOf(event: AgentAnnounced | AgentProfileUpdated): AgentProfile {
  return {
    role: event.role,
    capabilities: event.capabilities,
    specialization: event.specialization,
    max_tasks: event.max_tasks,
    model: event.model,
    system_prompt: event.system_prompt,
    cost_limits: event.cost_limits,
    project: event.project,
    owner: event.owner,
    heartbeat_timeout_s: event.heartbeat_timeout_s,
  };
}

export function findCurrentTask(context: AgentContext, taskId: string): AgentTask | undefined {
  return context.current_tasks.find((task) => task.id === taskId);
}

export function findRecentTask(context: AgentContext, taskId: string): AgentTask | undefined {
  return context.recent_tasks.find((task) => task.id === taskId);
}

export function withAssignedTask(context: AgentContext, event: TaskAssigned): Partial<AgentContext> {
  const task: AgentTask = {
    id: event.task_id,
    type: event.task_type,
    description: event.description,
    input: event.input,
    thread_id: event.thread_id,
    status: 'pending',
    start_time: event.assigned_at,
    started_at: null,
    end_time: null,
    error: null,
    usage: null,
  };
  return { current_tasks: [...context.current_tasks, task], last_activity: event.assigned_at };
}

export function withStartedTask(context: AgentContext, taskId: string, at: string): Partial<AgentContext> {
  return {
    current_tasks: context.current_tasks.map((task) =>
      task.id === taskId ? { ...task, status: 'in_progress', started_at: at } : task,
    ),
    last_activity: at,
  };
}

/** Moves a finished task from the current tasks to the bounded recent list and updates the counters. */
export function withFinishedTask(
  context: AgentContext,
  event: TaskCompleted | TaskFailed,
): Partial<AgentContext> {
  const task = findCurrentTask(context, event.task_id);
  if (!task) return {};
  const completed = event.type === 'TaskCompleted';
  const at = completed ? event.completed_at : event.failed_at;
  const finished: AgentTask = {
    ...task,
    input: null,
    status: completed ? 'completed' : 'failed',
    end_time: at,
    error: completed ? null : { code: event.code, reason: event.reason },
    usage: event.usage,
    ...(completed ? { result: event.result } : {}),
  };
  return {
    current_tasks: context.current_tasks.filter((current) => current.id !== event.task_id),
    recent_tasks: [finished, ...context.recent_tasks].slice(0, RECENT_TASKS_KEPT),
    completed_tasks: context.completed_tasks + (completed ? 1 : 0),
    failed_tasks: context.failed_tasks + (completed ? 0 : 1),
    usage: addUsage(context.usage, event.usage),
    last_activity: at,
  };
}

function addUsage(totals: UsageTotals, usage: TaskUsage | null): UsageTotals {
  if (!usage) return totals;
  return {
    prompt_tokens: totals.prompt_tokens + usage.prompt_tokens,
    completion_tokens: totals.completion_tokens + usage.completion_tokens,
    cached_tokens: totals.cached_tokens + usage.cached_tokens,
    cost_usd: totals.cost_usd + (usage.cost_usd ?? 0),
  };
}
