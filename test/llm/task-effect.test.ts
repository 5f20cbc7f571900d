import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/events/json.js';
import { recordOutcome } from '../../src/llm/call-record.js';
import { COST_WARNING_STREAM } from '../../src/llm/llm-events.js';
import { type LlmFixture, type LlmFixtureOptions, startLlmFixture } from './llm-fixture.js';

/** The task effect through the real runtime, the real openai client and the HTTP double. */
describe('running a task as an effect', () => {
  let fixture: LlmFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  async function start(options: LlmFixtureOptions = {}) {
    fixture = await startLlmFixture(options);
    return fixture;
  }

  async function dataOf(stream: string, type: string): Promise<JsonObject[]> {
    const events = await fixture!.store.readStream(stream);
    return events.filter((event) => event.type === type).map((event) => event.data as JsonObject);
  }

  it('records TaskCompleted with the result, usage and cost after TaskAssigned', async () => {
    const f = await start();
    f.double.enqueue({
      type: 'completion',
      content: 'Rename x to count.',
      usage: { prompt_tokens: 1000, cached_tokens: 400, completion_tokens: 300, reasoning_tokens: 100 },
    });
    await f.announce('reviewer-001');
    await f.assign('reviewer-001', 't1', 'code_review', { code: 'let x = 1', language: 'ts' });
    await f.system.settled();

    expect(f.double.count).toBe(1);
    const request = f.double.requests[0]!;
    expect(request.authorization).toBe(`Bearer ${f.config.apiKey!.reveal()}`);
    expect(request.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 200, temperature: 0.7 });
    const messages = request.body.messages as { role: string; content: string }[];
    expect(messages[0]).toMatchObject({ role: 'system' });
    expect(messages[0]!.content).toContain('code reviewer');
    expect(messages[1]!.content).toContain('let x = 1');

    // gpt-4o-mini: 600 uncached × 0.15 + 400 cached × 0.075 + 300 output × 0.60 per 1M = $0.0003
    expect(await f.task('reviewer-001', 't1')).toMatchObject({
      status: 'completed',
      result: { content: 'Rename x to count.', model: 'gpt-4o-mini', finish_reason: 'stop' },
      usage: { prompt_tokens: 1000, completion_tokens: 300, cached_tokens: 400, cost_usd: 0.0003 },
    });
    expect(await f.streamTypes('agent-reviewer-001')).toEqual([
      'AgentAnnounced',
      'TaskAssigned',
      'TaskStarted',
      'TaskCompleted',
    ]);
    const [usage] = await dataOf('llm-agent-reviewer-001@1#0', 'LlmUsageRecorded');
    expect(usage).toMatchObject({
      agent_id: 'reviewer-001',
      task_id: 't1',
      model: 'gpt-4o-mini',
      prompt_tokens: 1000,
      cached_tokens: 400,
      completion_tokens: 300,
      reasoning_tokens: 100,
      cost_usd: 0.0003,
      cost_warning: null,
    });
    const { state } = await f.system.inspect('agent', 'reviewer-001');
    expect(state).toMatchObject({ status: 'idle', completed_tasks: 1 });
  });

  it("uses the agent's model and system prompt, and no temperature for a reasoning model", async () => {
    const f = await start();
    f.double.enqueue({ type: 'completion', usage: { prompt_tokens: 100, completion_tokens: 1000 } });
    await f.announce('arch-1', { role: 'architect', model: 'gpt-5', system_prompt: 'You are terse.' });
    await f.assign('arch-1', 't1', 'architecture_analysis', {
      systemDescription: 'a monolith',
      requirements: 'scale',
      constraints: 'budget',
    });
    await f.system.settled();
    const body = f.double.requests[0]!.body;
    expect(body.model).toBe('gpt-5');
    expect(body).not.toHaveProperty('temperature');
    expect((body.messages as { content: string }[])[0]!.content).toBe('You are terse.');
    // gpt-5: 100 × 1.25 + 1000 × 10 per 1M
    expect(await f.task('arch-1', 't1')).toMatchObject({ usage: { cost_usd: 0.010125 } });
  });

  it('records a model missing from the price table with an unknown cost and a warning, never 0', async () => {
    const f = await start();
    await f.announce('local-1', { model: 'llama3.1:8b' });
    await f.assign('local-1', 't1', 'chat_completion', { prompt: 'hello' });
    await f.system.settled();
    expect(f.double.count).toBe(1);
    const task = await f.task('local-1', 't1');
    expect(task).toMatchObject({ status: 'completed', usage: { cost_usd: null } });
    const [usage] = await dataOf('llm-agent-local-1@1#0', 'LlmUsageRecorded');
    expect(usage!.cost_usd).toBeNull();
    expect(usage!.cost_warning).toContain('not in the price table');
    expect(f.logs.some((line) => line.startsWith('warn:') && line.includes('llama3.1:8b'))).toBe(true);
  });

  it('retries a 429 after the Retry-After it asks for, and a 500 with backoff', async () => {
    const f = await start();
    f.double.enqueue(
      { type: 'error', status: 429, headers: { 'retry-after': '1' } },
      { type: 'error', status: 500 },
      { type: 'completion', content: 'ok' },
    );
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(3);
    const [first, second] = f.double.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(await f.task('a1', 't1')).toMatchObject({ status: 'completed', result: { content: 'ok' } });
  });

  it('honours retry-after-ms too', async () => {
    const f = await start();
    f.double.enqueue(
      { type: 'error', status: 503, headers: { 'retry-after-ms': '300' } },
      { type: 'completion' },
    );
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    const [first, second] = f.double.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(280);
    expect(await f.task('a1', 't1')).toMatchObject({ status: 'completed' });
  });

  it('gives up after the bounded retries with TaskFailed OPENAI_ERROR, and the agent is idle again', async () => {
    const f = await start();
    f.double.fallback = () => ({ type: 'error', status: 500, message: 'upstream broke' });
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(3); // 1 + maxRetries (2)
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect(task!.error).toContain('HTTP 500');
    expect(task!.error).toContain('after 3 attempts');
    expect((await f.system.inspect('agent', 'a1')).state).toMatchObject({ status: 'idle', failed_tasks: 1 });
  });

  it('ends a request that times out as TaskFailed OPENAI_ERROR, with the agent idle again', async () => {
    const f = await start({ config: { timeoutMs: 200, maxRetries: 1 } });
    f.double.fallback = () => ({ type: 'hang' });
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(2);
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect(task!.error).toContain('no response within 200 ms');
    expect((await f.system.inspect('agent', 'a1')).state).toMatchObject({
      status: 'idle',
      current_tasks: [],
    });
  });

  it('fails a malformed body without retrying it', async () => {
    const f = await start();
    f.double.enqueue({ type: 'malformed' });
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(1);
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect(task!.error).toContain('malformed response');
  });

  it('fails a 200 that is not a chat completion as malformed', async () => {
    const f = await start();
    f.double.enqueue({ type: 'malformed', body: '{"object": "list", "data": []}' });
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(await f.task('a1', 't1')).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
  });

  it('opens the circuit after repeated failures: no request until the probe time, then closes it', async () => {
    let offset = 0;
    const f = await start({
      config: { maxRetries: 0, circuitBreaker: { failureThreshold: 3, openMs: 30_000 } },
      now: () => Date.now() + offset,
    });
    f.double.fallback = () => ({ type: 'error', status: 502 });
    await f.announce('a1');
    for (const id of ['t1', 't2', 't3']) await f.assign('a1', id, 'chat_completion', { prompt: id });
    await f.system.settled();
    expect(f.double.count).toBe(3);
    expect(f.llm.breakers.for(f.config.baseUrl).state).toBe('open');

    await f.assign('a1', 't4', 'chat_completion', { prompt: 't4' });
    await f.system.settled();
    expect(f.double.count).toBe(3);
    const refused = await f.task('a1', 't4');
    expect(refused).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect(refused!.error).toContain('circuit open');

    offset = 30_000;
    f.double.fallback = () => ({ type: 'completion' });
    await f.assign('a1', 't5', 'chat_completion', { prompt: 't5' });
    await f.system.settled();
    expect(f.double.count).toBe(4);
    expect(await f.task('a1', 't5')).toMatchObject({ status: 'completed' });
    expect(f.llm.breakers.for(f.config.baseUrl).state).toBe('closed');
  });

  it('without an API key fails the task with OPENAI_ERROR "not configured" and sends nothing', async () => {
    const f = await start({ apiKey: null });
    expect(f.llm.configured).toBe(false);
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(0);
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect(task!.error).toContain('not configured');
    expect((await f.system.inspect('agent', 'a1')).state).toMatchObject({ status: 'idle' });
  });

  it('refuses an invalid task input as INVALID_PARAMETERS before sending anything', async () => {
    const f = await start();
    await f.announce('a1');
    await f.assign('a1', 't1', 'code_review', { language: 'go' });
    await f.system.settled();
    expect(f.double.count).toBe(0);
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'INVALID_PARAMETERS' });
    expect(task!.error).toContain('code');
  });

  it('reports an outcome already recorded for the effect without calling the API again', async () => {
    const f = await start();
    await f.announce('a1');
    // A crash after recording the outcome and before telling the agent: the call stream of the
    // effect the next assignment will start (revision 1) already holds it.
    await recordOutcome(f.store, 'llm-agent-a1@1#0', 'agent-a1@1#0', {
      status: 'completed',
      completed: {
        agent_id: 'a1',
        task_id: 't1',
        thread_id: null,
        call_id: 'agent-a1@1#0',
        model: 'gpt-4o-mini',
        response_model: 'gpt-4o-mini',
        response_id: null,
        finish_reason: 'stop',
        attempts: 1,
        result: { content: 'from the first run' },
        usage: { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 0, cost_usd: 0.000005 },
        at: new Date().toISOString(),
      },
      usage: {
        agent_id: 'a1',
        task_id: 't1',
        thread_id: null,
        call_id: 'agent-a1@1#0',
        model: 'gpt-4o-mini',
        response_model: 'gpt-4o-mini',
        prompt_tokens: 10,
        cached_tokens: 0,
        completion_tokens: 5,
        reasoning_tokens: 0,
        cost_usd: 0.000005,
        cost_warning: null,
        at: new Date().toISOString(),
      },
    });
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(0);
    expect(await f.task('a1', 't1')).toMatchObject({
      status: 'completed',
      result: { content: 'from the first run' },
    });
  });

  it('a re-run of a finished effect makes no second call and changes nothing', async () => {
    const f = await start();
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(1);
    const before = await f.store.readStream('agent-a1');
    const effect = {
      type: 'requestTaskExecution',
      params: {
        agentId: 'a1',
        taskId: 't1',
        type: 'chat_completion',
        description: '',
        input: { prompt: 'hi' },
        threadId: null,
        model: null,
        systemPrompt: null,
        costLimits: null,
      },
      category: 'agent',
      actorId: 'a1',
      stream: 'agent-a1',
      idempotencyKey: 'agent-a1@1#0',
    };
    await f.llm.effects.requestTaskExecution(effect);
    await f.llm.effects.requestTaskExecution(effect);
    expect(f.double.count).toBe(1);
    expect(await f.store.readStream('agent-a1')).toHaveLength(before.length);
    expect(await f.store.readStream('llm-agent-a1@1#0')).toHaveLength(2);
  });

  it('cancelling a task aborts its HTTP request; the task fails with OPENAI_ERROR', async () => {
    const f = await start();
    f.double.fallback = () => ({ type: 'hang' });
    await f.announce('a1');
    const outcome = f.llm.waitForOutcome('a1', 't1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.double.waitForRequests(1);
    f.llm.cancel('a1', 't1');
    expect(await outcome).toMatchObject({ status: 'failed', code: 'OPENAI_ERROR' });
    await f.system.settled();
    expect(f.double.count).toBe(1);
    await expect.poll(() => f.double.abandoned).toBe(1);
    expect(await f.task('a1', 't1')).toMatchObject({ status: 'failed', error: 'request cancelled' });
    expect((await f.system.inspect('agent', 'a1')).state).toMatchObject({ status: 'idle' });
  });

  it("refuses a call over the agent's per-task limit with COST_LIMIT_EXCEEDED and sends nothing", async () => {
    const f = await start();
    await f.announce('a1', { cost_limits: { per_task_usd: 0.00001 } });
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi' });
    await f.system.settled();
    expect(f.double.count).toBe(0);
    const task = await f.task('a1', 't1');
    expect(task).toMatchObject({ status: 'failed', error_code: 'COST_LIMIT_EXCEEDED' });
    expect(task!.error).toContain('per-task');
    expect(await dataOf(COST_WARNING_STREAM, 'CostWarningRecorded')).toEqual([
      expect.objectContaining({ agent_id: 'a1', period: 'task', period_key: 't1', level: 'exceeded' }),
    ]);
  });

  it('records a warning once spend reaches the threshold of a limit', async () => {
    const f = await start({
      config: { limits: { dailyUsd: 100, monthlyUsd: 1000, agentDailyUsd: 0.001, perTaskUsd: null } },
    });
    // gpt-4o-mini output at $0.60/1M: 1,400 tokens = $0.00084 ≥ 80% of $0.001
    f.double.enqueue({ type: 'completion', usage: { prompt_tokens: 0, completion_tokens: 140 } });
    f.double.enqueue({ type: 'completion', usage: { prompt_tokens: 0, completion_tokens: 1260 } });
    await f.announce('a1');
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'hi', maxTokens: 150 });
    await f.system.settled();
    expect(await dataOf(COST_WARNING_STREAM, 'CostWarningRecorded')).toEqual([]);
    await f.assign('a1', 't2', 'chat_completion', { prompt: 'hi', maxTokens: 1300 });
    await f.system.settled();
    expect(await dataOf(COST_WARNING_STREAM, 'CostWarningRecorded')).toEqual([
      expect.objectContaining({
        agent_id: 'a1',
        period: 'day',
        level: 'warning',
        limit_usd: 0.001,
        spent_usd: 0.00084,
      }),
    ]);
  });
});
