import { type ActorRuntime, startActorRuntime } from '../../src/actors/actor-runtime.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { JsonObject } from '../../src/events/json.js';
import { DEFAULT_LLM_CONFIG, type LlmConfig } from '../../src/llm/llm-config.js';
import { createLlmService, type LlmService } from '../../src/llm/llm-service.js';
import { Secret } from '../../src/llm/redact.js';
import { OpenAiDouble, type OpenAiDoubleOptions } from '../support/openai-double/openai-double.js';
import { tempStore } from '../support/temp-store.js';

/** A recognisable fake key: the tests search the store and the logs for it. */
export const FAKE_KEY = 'sk-bzzz-FAKE-KEY-7f3c9a1e5b2d4c6e8a0f';

export interface LlmFixtureOptions {
  config?: Partial<LlmConfig>;
  /** null: no API key (not configured). */
  apiKey?: string | null;
  double?: OpenAiDoubleOptions;
  /** The LLM layer's clock (breaker, budget periods); default the wall clock. */
  now?: () => number;
}

/**
 * The real actor runtime on a temp SQLite store, with the LLM service as its task effect, talking to
 * an OpenAI double over real HTTP with the real `openai` client.
 */
export async function startLlmFixture(options: LlmFixtureOptions = {}) {
  const double = await OpenAiDouble.start({ apiKey: FAKE_KEY, ...options.double });
  const temp = tempStore('bzzz-llm-');
  const store: EventStore = temp.open();
  const logs: string[] = [];
  const key = options.apiKey === undefined ? FAKE_KEY : options.apiKey;
  const config: LlmConfig = {
    ...DEFAULT_LLM_CONFIG,
    baseUrl: double.url,
    apiKey: key === null ? undefined : new Secret(key),
    defaultModel: 'gpt-4o-mini',
    maxTokens: 200,
    timeoutMs: 5000,
    maxRetries: 2,
    retryBaseMs: 5,
    maxRetryDelayMs: 2000,
    circuitBreaker: { failureThreshold: 50, openMs: 60_000 },
    ...options.config,
  };
  const llm: LlmService = createLlmService({
    config,
    store,
    system: () => runtime.system,
    ...(options.now ? { now: options.now } : {}),
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const runtime: ActorRuntime = startActorRuntime({
    store,
    kinds: actorKinds,
    runtimeDbPath: ':memory:',
    effects: llm.effects,
    onError: (error) => logs.push(`runtime error: ${String(error)}`),
    onEffectFailure: ({ error }) => logs.push(`effect failure: ${String(error)}`),
  });
  const system = runtime.system;

  async function announce(agentId: string, profile: JsonObject = {}): Promise<void> {
    await system.send('agent', agentId, {
      type: 'AnnounceAgent',
      role: 'reviewer',
      max_tasks: 100,
      ...profile,
    });
  }

  async function assign(
    agentId: string,
    taskId: string,
    taskType: string,
    input: JsonObject,
    description = '',
  ) {
    return system.send('agent', agentId, {
      type: 'AssignTask',
      task_id: taskId,
      task_type: taskType,
      description,
      input,
    });
  }

  /** The agent's view of a task (current or recent). */
  async function task(agentId: string, taskId: string): Promise<JsonObject | undefined> {
    const { state } = await system.inspect('agent', agentId);
    const all = [...(state.current_tasks as JsonObject[]), ...(state.recent_activity as JsonObject[])];
    return all.find((candidate) => candidate.id === taskId);
  }

  async function streamTypes(stream: string): Promise<string[]> {
    return (await store.readStream(stream)).map((event) => event.type);
  }

  return {
    double,
    temp,
    store,
    runtime,
    system,
    llm,
    config,
    logs,
    announce,
    assign,
    task,
    streamTypes,
    async close() {
      await runtime.close();
      await double.close();
      await temp.dispose();
    },
  };
}

export type LlmFixture = Awaited<ReturnType<typeof startLlmFixture>>;
