import { z } from 'zod';
import type { JsonObject, JsonValue } from '../../events/json.js';
import { DEFAULT_HEARTBEAT_TIMEOUT_S, DEFAULT_MAX_TASKS } from './agent-context.js';
import { KNOWN_ROLES, KNOWN_TASK_TYPES, ROLE_PATTERN } from './agent-events.js';

const usd = z.number().nonnegative().finite();
const count = z.number().int().nonnegative();
const taskId = z.string().min(1).max(256);
const jsonObject = z.record(z.string(), z.json()) as unknown as z.ZodType<JsonObject>;
const jsonValue = z.json() as unknown as z.ZodType<JsonValue>;

export const roleSchema = z
  .string()
  .regex(ROLE_PATTERN, `a known role (${KNOWN_ROLES.join(', ')}) or a custom role matching ${ROLE_PATTERN}`);

export const taskTypeSchema = z
  .string()
  .regex(
    ROLE_PATTERN,
    `a known task type (${KNOWN_TASK_TYPES.join(', ')}) or a custom one matching ${ROLE_PATTERN}`,
  );

export const costLimitsSchema = z.object({
  per_task_usd: usd.optional(),
  daily_usd: usd.optional(),
  monthly_usd: usd.optional(),
});

export const taskUsageSchema = z.object({
  prompt_tokens: count,
  completion_tokens: count,
  cached_tokens: count.optional(),
  cost_usd: usd.optional(),
});

/** Announce the agent (the actor id is the agent id), or re-announce it with a new profile. */
export const announceAgentSchema = z.object({
  type: z.literal('AnnounceAgent'),
  role: roleSchema,
  capabilities: z.array(z.string().min(1).max(128)).max(64).default([]),
  specialization: z.string().max(256).default(''),
  max_tasks: z.number().int().min(1).max(100).default(DEFAULT_MAX_TASKS),
  model: z.string().min(1).max(128).optional(),
  system_prompt: z.string().max(100_000).optional(),
  cost_limits: costLimitsSchema.optional(),
  project: z.string().min(1).max(128).optional(),
  owner: z.string().min(1).max(256).optional(),
  heartbeat_timeout_s: z.number().int().min(5).max(86_400).default(DEFAULT_HEARTBEAT_TIMEOUT_S),
});

/** A sign of life from the agent's client or node. */
export const recordHeartbeatSchema = z.object({ type: z.literal('RecordHeartbeat') });

export const assignTaskSchema = z.object({
  type: z.literal('AssignTask'),
  task_id: taskId,
  task_type: taskTypeSchema,
  description: z.string().max(10_000).default(''),
  input: jsonObject.default({}),
  thread_id: z.string().min(1).max(256).optional(),
});

/** The runtime began executing the task. */
export const startTaskSchema = z.object({ type: z.literal('StartTask'), task_id: taskId });

export const completeTaskSchema = z.object({
  type: z.literal('CompleteTask'),
  task_id: taskId,
  result: jsonValue,
  usage: taskUsageSchema,
});

export const failTaskSchema = z.object({
  type: z.literal('FailTask'),
  task_id: taskId,
  reason: z.string().min(1).max(10_000),
  code: z.string().min(1).max(64).default('TASK_FAILED'),
  usage: taskUsageSchema.optional(),
});

/** Something went wrong with the agent itself (not one task): it takes no new tasks until recovered. */
export const reportErrorSchema = z.object({
  type: z.literal('ReportError'),
  code: z.string().min(1).max(64),
  message: z.string().min(1).max(10_000),
});

export const recoverAgentSchema = z.object({ type: z.literal('RecoverAgent') });

export const retireAgentSchema = z.object({
  type: z.literal('RetireAgent'),
  reason: z.string().min(1).max(10_000).optional(),
});

export const agentCommandSchema = z.discriminatedUnion('type', [
  announceAgentSchema,
  recordHeartbeatSchema,
  assignTaskSchema,
  startTaskSchema,
  completeTaskSchema,
  failTaskSchema,
  reportErrorSchema,
  recoverAgentSchema,
  retireAgentSchema,
]);

export type AnnounceAgent = z.output<typeof announceAgentSchema>;
export type RecordHeartbeat = z.output<typeof recordHeartbeatSchema>;
export type AssignTask = z.output<typeof assignTaskSchema>;
export type StartTask = z.output<typeof startTaskSchema>;
export type CompleteTask = z.output<typeof completeTaskSchema>;
export type FailTask = z.output<typeof failTaskSchema>;
export type ReportError = z.output<typeof reportErrorSchema>;
export type RecoverAgent = z.output<typeof recoverAgentSchema>;
export type RetireAgent = z.output<typeof retireAgentSchema>;

/** Every command an agent handles. */
export type AgentCommand = z.output<typeof agentCommandSchema>;
/** A command as callers may write it (defaults not yet applied). */
export type AgentCommandInput = z.input<typeof agentCommandSchema>;
