import type { ActorSystem } from '../actors/actor-system.js';
import type { EffectHandler } from '../actors/effects.js';
import type { EventStore } from '../events/event-store.js';
import { BudgetGuard, type SpendFact } from './budget-guard.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { LlmClient, type LlmLog } from './llm-client.js';
import { isLlmConfigured, type LlmConfig } from './llm-config.js';
import { NOT_CONFIGURED_MESSAGE } from './llm-errors.js';
import { redact } from './redact.js';
import { createTaskEffectHandler } from './run-task-effect.js';
import { spentFromEventLog } from './spent-from-log.js';
import { TaskCalls, type TaskOutcome } from './task-calls.js';

/** What the bzzz_task tool needs of the LLM layer. */
export interface LlmTaskRunner {
  /** False without an API key: tasks fail with OPENAI_ERROR {@link notConfiguredMessage}. */
  readonly configured: boolean;
  readonly notConfiguredMessage: string;
  /** The outcome of a task this process runs; register before assigning the task. */
  waitForOutcome(agentId: string, taskId: string, signal?: AbortSignal): Promise<TaskOutcome>;
  /** Aborts the task's HTTP request (or the request it is about to send): it fails with OPENAI_ERROR. */
  cancel(agentId: string, taskId: string, reason?: string): void;
}

export interface LlmService extends LlmTaskRunner {
  /** Give these to the actor runtime (`effects`): the task runner for `requestTaskExecution`. */
  readonly effects: { requestTaskExecution: EffectHandler };
  readonly guard: BudgetGuard;
  readonly breakers: CircuitBreakers;
}

export interface LlmServiceOptions {
  config: LlmConfig;
  store: EventStore;
  /** The actor system; a getter, because the runtime is started with this service's effects. */
  system: () => Pick<ActorSystem, 'send' | 'inspect'>;
  now?: () => number;
  /** Where warnings go (default: stderr). Every message is redacted before it gets here. */
  log?: LlmLog;
  /** What the budget guard starts from (default: this month's costs in the event log). */
  baseline?: () => Promise<Iterable<SpendFact>>;
}

/**
 * The LLM layer of a node: one budget guard, one circuit breaker per base URL, one OpenAI client (none
 * without an API key, and the node runs anyway) and the task effect.
 */
export function createLlmService(options: LlmServiceOptions): LlmService {
  const { config, store } = options;
  const now = options.now ?? Date.now;
  const sink = options.log ?? ((level, message) => console.error(`bzzz llm ${level}: ${message}`));
  const log: LlmLog = (level, message) => sink(level, redact(message, [config.apiKey]));
  const guard = new BudgetGuard({
    warningThreshold: config.warningThreshold,
    now,
    baseline: options.baseline ?? (() => spentFromEventLog(store, now())),
  });
  const breakers = new CircuitBreakers(config.circuitBreaker, now);
  const client =
    isLlmConfigured(config) && config.apiKey
      ? new LlmClient({
          baseUrl: config.baseUrl,
          apiKey: config.apiKey,
          timeoutMs: config.timeoutMs,
          maxRetries: config.maxRetries,
          retryBaseMs: config.retryBaseMs,
          maxRetryDelayMs: config.maxRetryDelayMs,
          breaker: breakers.for(config.baseUrl),
          log,
        })
      : undefined;
  const calls = new TaskCalls();
  const requestTaskExecution = createTaskEffectHandler({
    config,
    store,
    system: options.system,
    guard,
    client,
    calls,
    now,
    log,
  });
  return {
    configured: client !== undefined,
    notConfiguredMessage: NOT_CONFIGURED_MESSAGE,
    effects: { requestTaskExecution },
    guard,
    breakers,
    waitForOutcome: (agentId, taskId, signal) => calls.wait(agentId, taskId, signal),
    cancel: (agentId, taskId, reason) => calls.cancel(agentId, taskId, reason),
  };
}
