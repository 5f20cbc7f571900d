import type { JsonObject, JsonValue } from '../../events/json.js';

/** Roles the seed names; any other role matching {@link ROLE_PATTERN} is a custom role. */
export const KNOWN_ROLES = [
  'architect',
  'reviewer',
  'documentation',
  'developer',
  'tester',
  'security_expert',
  'devops',
] as const;

/** Task types the seed names; any other type matching {@link ROLE_PATTERN} is a custom type. */
export const KNOWN_TASK_TYPES = [
  'chat_completion',
  'code_review',
  'documentation',
  'architecture_analysis',
] as const;

/** Custom roles and task types: lower-case identifiers, so they fit in a `bzzz://` address. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Agent ids become stream names and address parts: no `:`, `@`, `/`, `*` or whitespace. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Spending limits in USD; enforced by the LLM budget guard, recorded here. */
export type CostLimits = { per_task_usd?: number; daily_usd?: number; monthly_usd?: number };

/** Token usage of one task, as reported by the effect that ran it. */
export type TaskUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  /** null when the cost is unknown (not zero). */
  cost_usd: number | null;
};

/** Everything an announcement sets. Re-announcing replaces all of it. */
export type AgentProfile = {
  role: string;
  capabilities: string[];
  specialization: string;
  max_tasks: number;
  model: string | null;
  system_prompt: string | null;
  cost_limits: CostLimits | null;
  project: string | null;
  /** Who announced: an MCP session/client id or a node id. Only the same owner may re-announce. */
  owner: string | null;
  /** Seconds without a heartbeat after which the agent goes offline. */
  heartbeat_timeout_s: number;
};

export type AgentAnnounced = AgentProfile & {
  type: 'AgentAnnounced';
  agent_id: string;
  announced_at: string;
};
export type AgentProfileUpdated = AgentProfile & { type: 'AgentProfileUpdated'; updated_at: string };
export type AgentHeartbeatReceived = { type: 'AgentHeartbeatReceived'; at: string };
export type AgentCameOnline = { type: 'AgentCameOnline'; at: string };
/** Appended by the `heartbeat` deadline; `last_heartbeat` names the heartbeat that timed out. */
export type AgentWentOffline = { type: 'AgentWentOffline'; at: string; last_heartbeat: string };
export type AgentErrorReported = { type: 'AgentErrorReported'; code: string; message: string; at: string };
export type AgentRecovered = { type: 'AgentRecovered'; at: string };
export type TaskAssigned = {
  type: 'TaskAssigned';
  task_id: string;
  task_type: string;
  description: string;
  input: JsonObject;
  thread_id: string | null;
  assigned_at: string;
};
export type TaskStarted = { type: 'TaskStarted'; task_id: string; started_at: string };
export type TaskCompleted = {
  type: 'TaskCompleted';
  task_id: string;
  result: JsonValue;
  usage: TaskUsage;
  completed_at: string;
};
export type TaskFailed = {
  type: 'TaskFailed';
  task_id: string;
  code: string;
  reason: string;
  usage: TaskUsage | null;
  failed_at: string;
};
export type AgentRetired = { type: 'AgentRetired'; reason: string | null; retired_at: string };

/** Every event an agent records: the machine's events and the stored events are the same thing. */
export type AgentEvent =
  | AgentAnnounced
  | AgentProfileUpdated
  | AgentHeartbeatReceived
  | AgentCameOnline
  | AgentWentOffline
  | AgentErrorReported
  | AgentRecovered
  | TaskAssigned
  | TaskStarted
  | TaskCompleted
  | TaskFailed
  | AgentRetired;
