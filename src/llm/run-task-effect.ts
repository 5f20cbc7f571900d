import type { ActorSystem, CommandMetadata } from '../actors/actor-system.js';
import type { RequestTaskExecutionParams } from '../actors/agent/agent-machine.js';
import { DomainErrorCode } from '../actors/domain-error.js';
import type { Effect, EffectHandler } from '../actors/effects.js';
import { isBzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import type { JsonObject } from '../events/json.js';
import type { BudgetGuard, ReserveRequest } from './budget-guard.js';
import { callLimitsFor, refusalReason } from './budget-limits.js';
import {
  type CallRecord,
  completedRecord,
  readRecordedOutcome,
  recordCostWarnings,
  recordOutcome,
} from './call-record.js';
import { isReasoningModel, type LlmClient, type LlmLog } from './llm-client.js';
import type { LlmConfig } from './llm-config.js';
import { LlmCallError, LlmErrorCode, NOT_CONFIGURED_MESSAGE } from './llm-errors.js';
import { callStreamOf } from './llm-events.js';
import { costOf, priceOf, worstCaseCost } from './prices.js';
import { describeError } from './redact.js';
import { systemPromptFor } from './role-prompts.js';
import type { TaskCalls, TaskOutcome } from './task-calls.js';
import { estimatePromptTokens, taskPrompt, type TaskPrompt } from './task-prompts.js';
import { NO_USAGE } from './usage.js';

export interface TaskEffectDeps {
  config: LlmConfig;
  store: EventStore;
  /** The actor system (a getter: the handler is made before the system exists). */
  system: () => Pick<ActorSystem, 'send' | 'inspect'>;
  guard: BudgetGuard;
  /** Undefined when no API key is configured. */
  client: LlmClient | undefined;
  calls: TaskCalls;
  now: () => number;
  log: LlmLog;
}

/** Refusals of an outcome command that mean the task is no longer the agent's to finish. */
const GONE = [DomainErrorCode.TaskNotFound, DomainErrorCode.AgentNotFound, DomainErrorCode.InvalidTransition];

/**
 * The `requestTaskExecution` effect: runs an assigned task as one chat completion and reports the
 * outcome to the agent. Runs after TaskAssigned was appended, never during replay, at least once:
 *
 * 1. The call stream `llm-<idempotency key>` is read first: an outcome recorded by an earlier run is
 *    only reported again (CompleteTask/FailTask are idempotent on the agent): no second API call.
 * 2. A task the agent no longer has in flight is not run.
 * 3. Not configured (no API key) → FailTask OPENAI_ERROR "not configured"; a bad input →
 *    INVALID_PARAMETERS; both before anything is sent.
 * 4. The budget guard reserves the worst case (prompt estimate + max tokens at the output price);
 *    refused → COST_LIMIT_EXCEEDED, nothing sent.
 * 5. StartTask, then the call (timeout, retries honouring Retry-After, circuit breaker, cancellable).
 * 6. The reservation is settled with the cost from the response's usage (null for a model missing from
 *    the price table, with a warning), threshold crossings become CostWarningRecorded events, the
 *    outcome is appended to the call stream, then CompleteTask (result, usage) or FailTask (reason,
 *    OPENAI_ERROR) is sent to the agent, which goes back to idle.
 * An outcome that could not be recorded is kept in memory, so the runner's retry does not call again.
 */
export function createTaskEffectHandler(deps: TaskEffectDeps): EffectHandler {
  const unrecorded = new Map<string, CallRecord>();
  const inFlight = new Map<string, Promise<void>>();

  async function run(effect: Effect): Promise<void> {
    const params = effect.params as RequestTaskExecutionParams;
    const stream = callStreamOf(effect.idempotencyKey);
    const metadata: CommandMetadata = {
      causationId: effect.idempotencyKey,
      correlationId: effect.idempotencyKey,
    };
    let outcome = await readRecordedOutcome(deps.store, stream);
    if (!outcome) {
      let record = unrecorded.get(effect.idempotencyKey);
      if (!record) {
        record = await execute(deps, params, effect.idempotencyKey, metadata);
        if (!record) return;
        unrecorded.set(effect.idempotencyKey, record);
      }
      outcome = await recordOutcome(deps.store, stream, effect.idempotencyKey, record);
      unrecorded.delete(effect.idempotencyKey);
    }
    await report(deps, outcome, metadata);
    deps.calls.settle(outcome);
  }

  return (effect) => {
    // Two runs of one effect in this process (a recovery beside a retry) share one execution.
    const running = inFlight.get(effect.idempotencyKey);
    if (running) return running;
    const started = run(effect).finally(() => inFlight.delete(effect.idempotencyKey));
    inFlight.set(effect.idempotencyKey, started);
    return started;
  };
}

/** Runs the call; undefined when there is nothing to run (the task already ended). */
async function execute(
  deps: TaskEffectDeps,
  params: RequestTaskExecutionParams,
  callId: string,
  metadata: CommandMetadata,
): Promise<CallRecord | undefined> {
  const { agentId, taskId } = params;
  const agent = (await deps.system().inspect('agent', agentId)).state;
  const inFlight =
    Array.isArray(agent.current_tasks) &&
    agent.current_tasks.some((task) => (task as JsonObject).id === taskId);
  if (!inFlight) {
    deps.calls.forget(agentId, taskId);
    return undefined;
  }
  const signal = deps.calls.begin(agentId, taskId);
  const fail = (
    code: string,
    kind: string,
    reason: string,
    attempts = 0,
    status: number | null = null,
  ): CallRecord => ({
    status: 'failed',
    failed: {
      agent_id: agentId,
      task_id: taskId,
      thread_id: params.threadId,
      call_id: callId,
      code,
      reason,
      kind,
      attempts,
      status,
      at: new Date(deps.now()).toISOString(),
    },
  });
  try {
    if (!deps.client) return fail(LlmErrorCode.OpenAiError, 'not_configured', NOT_CONFIGURED_MESSAGE);
    let prompt: TaskPrompt;
    try {
      const system = systemPromptFor(deps.config.rolePrompts, String(agent.role ?? ''), params.systemPrompt);
      prompt = taskPrompt(params.type, params.description, params.input, system);
    } catch (error) {
      if (!isBzzzError(error)) throw error;
      return fail(LlmErrorCode.InvalidParameters, 'invalid_input', error.message);
    }
    const model = prompt.model ?? params.model ?? deps.config.defaultModel;
    const maxTokens = prompt.maxTokens ?? deps.config.maxTokens;
    const temperature = prompt.temperature ?? (isReasoningModel(model) ? undefined : deps.config.temperature);
    const price = priceOf(deps.config.prices, model);
    const request: ReserveRequest = {
      agentId,
      taskId,
      worstCaseUsd: price ? worstCaseCost(price, estimatePromptTokens(prompt.messages), maxTokens) : null,
      limits: callLimitsFor(deps.config.limits, params.costLimits),
    };
    if (signal.aborted)
      return fail(LlmErrorCode.OpenAiError, 'cancelled', 'request cancelled before it was sent');
    const reserved = await deps.guard.reserve(request);
    if (!reserved.ok) {
      await recordCostWarnings(deps.store, reserved.crossings, callId);
      const reason = refusalReason(reserved.refusal);
      deps.log('warn', `task ${taskId} of agent ${agentId} refused: ${reason}`);
      return fail(LlmErrorCode.CostLimitExceeded, 'budget', reason);
    }
    const reservation = reserved.reservation;
    try {
      await deps.system().send('agent', agentId, { type: 'StartTask', task_id: taskId }, metadata);
    } catch (error) {
      deps.guard.release(reservation);
      if (isBzzzError(error) && (GONE as string[]).includes(error.code)) return undefined;
      throw error;
    }
    let completion;
    try {
      completion = await deps.client.complete({
        model,
        messages: prompt.messages,
        maxTokens,
        ...(temperature === undefined ? {} : { temperature }),
        signal,
      });
    } catch (error) {
      deps.guard.release(reservation);
      const failure =
        error instanceof LlmCallError
          ? error
          : new LlmCallError('malformed_response', describeError(error, [deps.config.apiKey]));
      deps.log('warn', `task ${taskId} of agent ${agentId} failed: ${failure.message}`);
      return fail(LlmErrorCode.OpenAiError, failure.kind, failure.message, failure.attempts, failure.status);
    }
    const usage = completion.usage ?? NO_USAGE;
    const effectivePrice = price ?? priceOf(deps.config.prices, completion.responseModel);
    let costWarning: string | null = null;
    if (!completion.usage) costWarning = 'the server reported no usage: cost unknown';
    else if (!effectivePrice)
      costWarning = `model "${model}" is not in the price table (BZZZ_PRICES): cost unknown`;
    const cost = costWarning === null && effectivePrice ? costOf(effectivePrice, usage) : null;
    const crossings = deps.guard.settle(reservation, cost, request);
    if (costWarning) deps.log('warn', `task ${taskId} of agent ${agentId}: ${costWarning}`);
    if (cost !== null && request.worstCaseUsd !== null && cost > request.worstCaseUsd) {
      deps.log(
        'warn',
        `task ${taskId} cost $${cost}, more than the $${request.worstCaseUsd} reserved for it`,
      );
    }
    await recordCostWarnings(deps.store, crossings, callId);
    return completedRecord({
      ids: { agent_id: agentId, task_id: taskId, thread_id: params.threadId, call_id: callId },
      model,
      completion,
      usage,
      cost,
      costWarning,
      at: new Date(deps.now()).toISOString(),
    });
  } finally {
    deps.calls.end(agentId, taskId);
    deps.guard.forgetTask(agentId, taskId);
  }
}

/** Tells the agent; a task that is no longer the agent's (retired, forgotten) is logged, not retried. */
async function report(deps: TaskEffectDeps, outcome: TaskOutcome, metadata: CommandMetadata): Promise<void> {
  const command =
    outcome.status === 'completed'
      ? {
          type: 'CompleteTask',
          task_id: outcome.taskId,
          result: outcome.result,
          usage: {
            prompt_tokens: outcome.usage.prompt_tokens,
            completion_tokens: outcome.usage.completion_tokens,
            cached_tokens: outcome.usage.cached_tokens,
            ...(outcome.usage.cost_usd === null ? {} : { cost_usd: outcome.usage.cost_usd }),
          },
        }
      : { type: 'FailTask', task_id: outcome.taskId, reason: outcome.reason, code: outcome.code };
  try {
    await deps.system().send('agent', outcome.agentId, command, metadata);
  } catch (error) {
    if (!isBzzzError(error) || !(GONE as string[]).includes(error.code)) throw error;
    deps.log(
      'warn',
      `outcome of task ${outcome.taskId} not recorded on agent ${outcome.agentId}: ${error.message}`,
    );
  }
}
