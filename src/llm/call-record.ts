import { isBzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import type { NewEvent } from '../events/types.js';
import type { BudgetCrossing } from './budget-guard.js';
import {
  COST_WARNING_RECORDED,
  COST_WARNING_STREAM,
  type CostWarningRecordedData,
  costWarningIdOf,
  eventIdOf,
  LLM_CALL_COMPLETED,
  LLM_CALL_FAILED,
  LLM_USAGE_RECORDED,
  type LlmCallCompletedData,
  type LlmCallFailedData,
  type LlmUsageRecordedData,
} from './llm-events.js';
import type { ChatCompletion } from './llm-client.js';
import type { TaskOutcome } from './task-calls.js';
import type { CallUsage } from './usage.js';

/** What one call recorded: its events (in the call stream) and what the agent is told. */
export type CallRecord =
  | { status: 'completed'; completed: LlmCallCompletedData; usage: LlmUsageRecordedData }
  | { status: 'failed'; failed: LlmCallFailedData };

/** The record of a call that answered: the completion kept for re-runs, and its usage for the cost view. */
export function completedRecord(call: {
  ids: { agent_id: string; task_id: string; thread_id: string | null; call_id: string };
  /** The model asked for. */
  model: string;
  completion: ChatCompletion;
  usage: CallUsage;
  /** null: unknown (with `costWarning` saying why). */
  cost: number | null;
  costWarning: string | null;
  at: string;
}): CallRecord {
  const { ids, model, completion, usage, cost, at } = call;
  const responseModel = completion.responseModel || model;
  return {
    status: 'completed',
    completed: {
      ...ids,
      model,
      response_model: responseModel,
      response_id: completion.responseId,
      finish_reason: completion.finishReason,
      attempts: completion.attempts,
      result: { content: completion.content, model: responseModel, finish_reason: completion.finishReason },
      usage: {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        cached_tokens: usage.cached_tokens,
        cost_usd: cost,
      },
      at,
    },
    usage: {
      ...ids,
      model,
      response_model: responseModel,
      ...usage,
      cost_usd: cost,
      cost_warning: call.costWarning,
      at,
    },
  };
}

/** The outcome a call stream holds, if a run of the effect recorded one. */
export async function readRecordedOutcome(
  store: EventStore,
  stream: string,
): Promise<TaskOutcome | undefined> {
  const events = await store.readStream(stream, { maxCount: 2 });
  const first = events[0];
  if (first?.type === LLM_CALL_COMPLETED) {
    const data = first.data as LlmCallCompletedData;
    const usage =
      events[1]?.type === LLM_USAGE_RECORDED ? (events[1].data as LlmUsageRecordedData) : undefined;
    return {
      status: 'completed',
      agentId: data.agent_id,
      taskId: data.task_id,
      result: data.result,
      usage: data.usage,
      costWarning: usage?.cost_warning ?? null,
    };
  }
  if (first?.type === LLM_CALL_FAILED) {
    const data = first.data as LlmCallFailedData;
    return {
      status: 'failed',
      agentId: data.agent_id,
      taskId: data.task_id,
      code: data.code,
      reason: data.reason,
    };
  }
  return undefined;
}

/**
 * Appends a call's outcome to its stream, expecting the stream not to exist, with ids derived from
 * the effect's key: a retry of the same append is a no-op, and if another run recorded first, its
 * outcome is the one returned.
 */
export async function recordOutcome(
  store: EventStore,
  stream: string,
  idempotencyKey: string,
  record: CallRecord,
): Promise<TaskOutcome> {
  const metadata = { causationId: idempotencyKey, correlationId: idempotencyKey };
  const events: NewEvent[] =
    record.status === 'completed'
      ? [
          {
            id: eventIdOf(`${idempotencyKey}#completed`),
            type: LLM_CALL_COMPLETED,
            data: record.completed,
            metadata,
          },
          {
            id: eventIdOf(`${idempotencyKey}#usage`),
            type: LLM_USAGE_RECORDED,
            data: record.usage,
            metadata,
          },
        ]
      : [{ id: eventIdOf(`${idempotencyKey}#failed`), type: LLM_CALL_FAILED, data: record.failed, metadata }];
  try {
    await store.append(stream, events, { expectedRevision: 'no_stream' });
  } catch (error) {
    if (!isBzzzError(error, 'WRONG_EXPECTED_REVISION')) throw error;
  }
  const recorded = await readRecordedOutcome(store, stream);
  if (!recorded) throw new Error(`${stream} holds no outcome after recording one`);
  return recorded;
}

/** Appends one CostWarningRecorded per crossing; a crossing already recorded is not recorded again. */
export async function recordCostWarnings(
  store: EventStore,
  crossings: readonly BudgetCrossing[],
  idempotencyKey: string,
): Promise<void> {
  for (const crossing of crossings) {
    const data: CostWarningRecordedData = { ...crossing, source: 'budget_guard' };
    await store.append(
      COST_WARNING_STREAM,
      [
        {
          id: costWarningIdOf(crossing),
          type: COST_WARNING_RECORDED,
          data,
          metadata: { causationId: idempotencyKey, correlationId: idempotencyKey },
        },
      ],
      { expectedRevision: 'any' },
    );
  }
}
