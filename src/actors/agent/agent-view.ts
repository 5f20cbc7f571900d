import type { SnapshotFrom } from 'xstate';
import type { JsonObject } from '../../events/json.js';
import type { AgentTask } from './agent-context.js';
import type { AgentMachine } from './agent-machine.js';

export type AgentState = SnapshotFrom<AgentMachine>;

/** The seed's statuses, plus `retired` (final) and `unannounced` (the actor does not exist yet). */
export type AgentStatus = 'unannounced' | 'idle' | 'busy' | 'offline' | 'error' | 'retired';

/** Flat machine: the state value is the status (`matches` is slower, and this runs on every command). */
export function agentStatus(state: AgentState): AgentStatus {
  return state.value;
}

/**
 * Performance in [0, 1]: the Laplace-smoothed success rate (completed + 1) / (completed + failed + 2).
 * A new agent scores 0.5; 18 completions without a failure give the seed's 0.95; one failure weighs as
 * much as one completion, and early outcomes move the score less than a raw ratio would.
 */
export function performanceScore(completed: number, failed: number): number {
  return (completed + 1) / (completed + failed + 2);
}

/** Takes new tasks: online (idle or busy) with fewer in-flight tasks than `max_tasks`. */
export function isAvailable(state: AgentState): boolean {
  const status = agentStatus(state);
  return (
    (status === 'idle' || status === 'busy') &&
    state.context.current_tasks.length < state.context.profile.max_tasks
  );
}

/** The seed's Agent fields (snake_case), plus owner, limits, usage, and recent finished tasks. */
export function agentView(state: AgentState): JsonObject {
  const agent = state.context;
  const profile = agent.profile;
  return {
    id: agent.id,
    role: profile.role,
    capabilities: profile.capabilities,
    specialization: profile.specialization,
    max_tasks: profile.max_tasks,
    current_tasks: agent.current_tasks.map(taskView),
    recent_activity: agent.recent_tasks.map(taskView),
    status: agentStatus(state),
    performance: performanceScore(agent.completed_tasks, agent.failed_tasks),
    available: isAvailable(state),
    system_prompt: profile.system_prompt,
    model: profile.model,
    project: profile.project,
    owner: profile.owner,
    cost_limits: profile.cost_limits as JsonObject | null,
    heartbeat_timeout_s: profile.heartbeat_timeout_s,
    created_at: agent.created_at,
    last_activity: agent.last_activity,
    last_heartbeat: agent.last_heartbeat,
    completed_tasks: agent.completed_tasks,
    failed_tasks: agent.failed_tasks,
    usage: { ...agent.usage },
    last_error: agent.last_error ? { ...agent.last_error } : null,
    retired_at: agent.retired_at,
    retire_reason: agent.retire_reason,
  };
}

function taskView(task: AgentTask): JsonObject {
  const view: JsonObject = {
    id: task.id,
    type: task.type,
    description: task.description,
    status: task.status,
    thread_id: task.thread_id,
    start_time: task.start_time,
    started_at: task.started_at,
  };
  if (task.input) view.input = task.input;
  if (task.end_time) view.end_time = task.end_time;
  if (task.result !== undefined) view.result = task.result;
  if (task.error) {
    view.error = task.error.reason;
    view.error_code = task.error.code;
  }
  if (task.usage) view.usage = { ...task.usage };
  return view;
}
