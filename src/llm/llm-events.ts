import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../events/json.js';
import type { BudgetCrossing } from './budget-guard.js';

/**
 * Events of the LLM layer. They are not actor events: the effect that runs a task appends them
 * directly, each call in its own stream `llm-<idempotency key of the effect>` (e.g.
 * `llm-agent-reviewer-001@1#0`), so one assignment has exactly one call stream and its outcome can be
 * looked up before calling again. Event ids are derived from the key (UUID v5 style) and the first
 * append expects no stream: a re-run of the effect cannot record a second outcome.
 *
 * A successful call appends [LlmCallCompleted, LlmUsageRecorded] in one append; a failed or refused
 * one appends [LlmCallFailed]. Threshold crossings go to the stream `llm-budget` as
 * CostWarningRecorded, with ids derived from the crossing (one event per scope, period and level).
 * Metadata: causationId and correlationId are the effect's idempotency key.
 */
export const LLM_CALL_COMPLETED = 'LlmCallCompleted';
export const LLM_USAGE_RECORDED = 'LlmUsageRecorded';
export const LLM_CALL_FAILED = 'LlmCallFailed';
export const COST_WARNING_RECORDED = 'CostWarningRecorded';

export const LLM_STREAM_PREFIX = 'llm-';
export const COST_WARNING_STREAM = 'llm-budget';

/** The call stream of an effect. */
export function callStreamOf(idempotencyKey: string): string {
  return `${LLM_STREAM_PREFIX}${idempotencyKey}`;
}

/** Usage of a task's call as the agent's TaskCompleted carries it. */
export interface TaskUsageData extends JsonObject {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_usd: number | null;
}

/** The completion, kept so that a re-run can report it to the agent without calling again. */
export interface LlmCallCompletedData extends JsonObject {
  agent_id: string;
  task_id: string;
  thread_id: string | null;
  call_id: string;
  model: string;
  response_model: string;
  response_id: string | null;
  finish_reason: string;
  attempts: number;
  /** What the agent's TaskCompleted gets as its result. */
  result: JsonValue;
  usage: TaskUsageData;
  at: string;
}

/** One call's usage and cost, as the cost view reads it (cost_usd null: unknown, never 0). */
export interface LlmUsageRecordedData extends JsonObject {
  agent_id: string;
  task_id: string;
  thread_id: string | null;
  call_id: string;
  /** The model asked for (the price table's key). */
  model: string;
  response_model: string;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  /** Set when the cost is unknown: why. */
  cost_warning: string | null;
  at: string;
}

export interface LlmCallFailedData extends JsonObject {
  agent_id: string;
  task_id: string;
  thread_id: string | null;
  call_id: string;
  /** OPENAI_ERROR, COST_LIMIT_EXCEEDED or INVALID_PARAMETERS: the agent's TaskFailed code. */
  code: string;
  /** Redacted, one line. */
  reason: string;
  kind: string;
  attempts: number;
  status: number | null;
  at: string;
}

/** A crossing found by the budget guard: the cost view's CostWarningRecorded shape. */
export interface CostWarningRecordedData extends JsonObject {
  agent_id: string | null;
  period: BudgetCrossing['period'];
  period_key: string;
  level: BudgetCrossing['level'];
  limit_usd: number;
  spent_usd: number;
  at: string;
  source: 'budget_guard';
}

const NAMESPACE = Buffer.from('6f1f5a0c8b3e4d2a9c7e1b5d3f9a2c4e', 'hex');

/** A name-based UUID (version 5, SHA-1) in bzzz's namespace: the same name always gives the same id. */
export function eventIdOf(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a crossing's CostWarningRecorded: one per agent (or node), period, period key and level. */
export function costWarningIdOf(crossing: BudgetCrossing): string {
  return eventIdOf(
    `cost-warning\u0000${crossing.agent_id ?? '*'}\u0000${crossing.period}\u0000${crossing.period_key}\u0000${crossing.level}`,
  );
}
