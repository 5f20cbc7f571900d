import { canonicalJson } from '../../events/canonical-json.js';
import type { JsonObject } from '../../events/json.js';
import { type DecideContext, isoNow } from '../actor-kind.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import type { AgentCommand, AnnounceAgent } from './agent-commands.js';
import type { AgentContext } from './agent-context.js';
import { AGENT_ID_PATTERN, type AgentEvent, type AgentProfile, type CostLimits } from './agent-events.js';
import { assignTask, completeTask, failTask, requireNotRetired, startTask } from './agent-task-decisions.js';
import { type AgentState, type AgentStatus, agentStatus } from './agent-view.js';

/** The events a command produces; see agent-kind.ts for the rules. */
export function decideAgent(state: AgentState, command: AgentCommand, context: DecideContext): AgentEvent[] {
  const at = isoNow(context);
  const agent = state.context;
  const status = agentStatus(state);
  if (command.type === 'AnnounceAgent') return announce(agent, status, command, context.actorId, at);
  if (status === 'unannounced') {
    throw new DomainError(DomainErrorCode.AgentNotFound, `agent ${agent.id} was never announced`, {
      agent_id: agent.id,
    });
  }
  switch (command.type) {
    case 'RecordHeartbeat':
      requireNotRetired(agent, status, command.type);
      return [heartbeat(status, at)];
    case 'AssignTask':
      return assignTask(agent, status, command, at);
    case 'StartTask':
      return startTask(agent, status, command, at);
    case 'CompleteTask':
      return completeTask(agent, status, command, at);
    case 'FailTask':
      return failTask(agent, status, command, at);
    case 'ReportError':
      requireNotRetired(agent, status, command.type);
      return [{ type: 'AgentErrorReported', code: command.code, message: command.message, at }];
    case 'RecoverAgent':
      requireNotRetired(agent, status, command.type);
      return status === 'error' ? [{ type: 'AgentRecovered', at }] : [];
    case 'RetireAgent': {
      requireNotRetired(agent, status, command.type);
      const reason = command.reason ?? null;
      return [
        ...agent.current_tasks.map((task): AgentEvent => ({
          type: 'TaskFailed',
          task_id: task.id,
          code: 'AGENT_RETIRED',
          reason: reason ? `agent retired: ${reason}` : 'agent retired',
          usage: null,
          failed_at: at,
        })),
        { type: 'AgentRetired', reason, retired_at: at },
      ];
    }
  }
}

function announce(
  agent: AgentContext,
  status: AgentStatus,
  command: AnnounceAgent,
  actorId: string,
  at: string,
): AgentEvent[] {
  const profile = profileFrom(command);
  if (status === 'unannounced') {
    if (!AGENT_ID_PATTERN.test(actorId)) {
      throw new DomainError(
        DomainErrorCode.InvalidParameters,
        `agent id ${JSON.stringify(actorId)} must match ${AGENT_ID_PATTERN}`,
        { agent_id: actorId },
      );
    }
    return [{ type: 'AgentAnnounced', agent_id: actorId, ...profile, announced_at: at }];
  }
  if (status === 'retired') {
    throw new DomainError(
      DomainErrorCode.AgentExists,
      `agent ${agent.id} is retired; agent ids are not reused`,
      { agent_id: agent.id },
    );
  }
  if (profile.owner !== agent.profile.owner) {
    throw new DomainError(
      DomainErrorCode.AgentExists,
      `agent ${agent.id} already exists and has another owner`,
      { agent_id: agent.id },
    );
  }
  if (
    canonicalJson(profile as unknown as JsonObject) === canonicalJson(agent.profile as unknown as JsonObject)
  ) {
    return [heartbeat(status, at)];
  }
  return [{ type: 'AgentProfileUpdated', ...profile, updated_at: at }];
}

function heartbeat(status: AgentStatus, at: string): AgentEvent {
  return status === 'offline' ? { type: 'AgentCameOnline', at } : { type: 'AgentHeartbeatReceived', at };
}

function profileFrom(command: AnnounceAgent): AgentProfile {
  return {
    role: command.role,
    capabilities: command.capabilities,
    specialization: command.specialization,
    max_tasks: command.max_tasks,
    model: command.model ?? null,
    system_prompt: command.system_prompt ?? null,
    cost_limits: command.cost_limits ? costLimitsFrom(command.cost_limits) : null,
    project: command.project ?? null,
    owner: command.owner ?? null,
    heartbeat_timeout_s: command.heartbeat_timeout_s,
  };
}

/** Only the limits that were given: events hold no undefined values. */
function costLimitsFrom(limits: CostLimits): CostLimits {
  const defined: CostLimits = {};
  if (limits.per_task_usd !== undefined) defined.per_task_usd = limits.per_task_usd;
  if (limits.daily_usd !== undefined) defined.daily_usd = limits.daily_usd;
  if (limits.monthly_usd !== undefined) defined.monthly_usd = limits.monthly_usd;
  return defined;
}
