import { canonicalJson } from '../../events/canonical-json.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import type { AssignTask, CompleteTask, FailTask, StartTask } from './agent-commands.js';
import { type AgentContext, findCurrentTask, findRecentTask } from './agent-context.js';
import type { AgentEvent, TaskUsage } from './agent-events.js';
import type { AgentStatus } from './agent-view.js';

type TaskUsageInput = {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  cost_usd?: number;
};

/** A new task, a duplicate (no-op), or a refusal; the rules are in agent-kind.ts. */
export function assignTask(
  agent: AgentContext,
  status: AgentStatus,
  command: AssignTask,
  at: string,
): AgentEvent[] {
  const threadId = command.thread_id ?? null;
  const known = findCurrentTask(agent, command.task_id) ?? findRecentTask(agent, command.task_id);
  if (known) {
    const same =
      known.type === command.task_type &&
      known.description === command.description &&
      known.thread_id === threadId &&
      (known.input === null || canonicalJson(known.input) === canonicalJson(command.input));
    if (same) return [];
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      `task ${command.task_id} was already assigned to agent ${agent.id} with other content`,
      { agent_id: agent.id, task_id: command.task_id },
    );
  }
  requireNotRetired(agent, status, command.type);
  if (status === 'offline' || status === 'error') {
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      `agent ${agent.id} is ${status} and takes no tasks`,
      { agent_id: agent.id, status },
    );
  }
  if (agent.current_tasks.length >= agent.profile.max_tasks) {
    throw new DomainError(
      DomainErrorCode.MaxTasksReached,
      `agent ${agent.id} already has ${agent.current_tasks.length} of ${agent.profile.max_tasks} tasks`,
      { agent_id: agent.id, max_tasks: agent.profile.max_tasks },
    );
  }
  return [
    {
      type: 'TaskAssigned',
      task_id: command.task_id,
      task_type: command.task_type,
      description: command.description,
      input: command.input,
      thread_id: threadId,
      assigned_at: at,
    },
  ];
}

export function startTask(
  agent: AgentContext,
  status: AgentStatus,
  command: StartTask,
  at: string,
): AgentEvent[] {
  const task = taskInFlight(agent, status, command.task_id, command.type);
  if (!task || task.status === 'in_progress') return [];
  return [{ type: 'TaskStarted', task_id: task.id, started_at: at }];
}

export function completeTask(
  agent: AgentContext,
  status: AgentStatus,
  command: CompleteTask,
  at: string,
): AgentEvent[] {
  const task = taskInFlight(agent, status, command.task_id, command.type);
  if (!task) return [];
  return [
    {
      type: 'TaskCompleted',
      task_id: task.id,
      result: command.result,
      usage: usageFrom(command.usage),
      completed_at: at,
    },
  ];
}

export function failTask(
  agent: AgentContext,
  status: AgentStatus,
  command: FailTask,
  at: string,
): AgentEvent[] {
  const task = taskInFlight(agent, status, command.task_id, command.type);
  if (!task) return [];
  return [
    {
      type: 'TaskFailed',
      task_id: task.id,
      code: command.code,
      reason: command.reason,
      usage: command.usage ? usageFrom(command.usage) : null,
      failed_at: at,
    },
  ];
}

/**
 * The in-flight task a task outcome refers to, or undefined when it already finished (the outcome is a
 * duplicate of an at-least-once effect: nothing happens, whatever state the agent is in now).
 */
function taskInFlight(agent: AgentContext, status: AgentStatus, taskId: string, commandType: string) {
  if (findRecentTask(agent, taskId)) return undefined;
  requireNotRetired(agent, status, commandType);
  const task = findCurrentTask(agent, taskId);
  if (!task) {
    throw new DomainError(DomainErrorCode.TaskNotFound, `agent ${agent.id} has no task ${taskId}`, {
      agent_id: agent.id,
      task_id: taskId,
    });
  }
  return task;
}

export function requireNotRetired(agent: AgentContext, status: AgentStatus, commandType: string): void {
  if (status === 'retired') {
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      `agent ${agent.id} is retired: ${commandType} refused`,
      { agent_id: agent.id, status },
    );
  }
}

function usageFrom(usage: TaskUsageInput): TaskUsage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    cached_tokens: usage.cached_tokens ?? 0,
    cost_usd: usage.cost_usd ?? null,
  };
}
