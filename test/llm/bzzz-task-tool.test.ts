import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/events/json.js';
import type { LlmTaskRunner } from '../../src/llm/llm-service.js';
import type { McpContext } from '../../src/mcp/mcp-context.js';
import { registerAnnounce } from '../../src/mcp/tools/bzzz-announce.js';
import { registerPost } from '../../src/mcp/tools/bzzz-post.js';
import { registerTask } from '../../src/mcp/tools/bzzz-task.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { type LlmFixture, type LlmFixtureOptions, startLlmFixture } from './llm-fixture.js';

/** bzzz_task (and bzzz_post's task messages) over MCP, against the double. */
describe('bzzz_task', () => {
  let fixture: LlmFixture | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await fixture?.close();
    fixture = undefined;
  });

  async function connect(options: LlmFixtureOptions = {}, llm?: LlmTaskRunner | null) {
    fixture = await startLlmFixture(options);
    const f = fixture;
    const readModel = openReadModelDatabase(':memory:');
    const runner = new ProjectionRunner(f.store, readModel, projections);
    runner.start();
    const context: McpContext = {
      system: f.system,
      projections: runner,
      readModel,
      nodeId: '12D3KooWTestNode',
      now: () => Date.now(),
      readYourWritesTimeoutMs: 5000,
    };
    const server = new McpServer({ name: 'bzzz-test', version: '0.0.0' });
    registerAnnounce(server, context, () => 'mcp:test');
    registerPost(server, context, () => 'mcp:test');
    registerTask(server, context, llm === null ? undefined : (llm ?? f.llm));
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientTransport);
    cleanups.push(async () => {
      await client.close();
      await runner.stop();
      readModel.close();
    });
    return { f, client };
  }

  const structured = (result: unknown) => (result as CallToolResult).structuredContent as JsonObject;

  it('runs a task and answers with the result, usage and cost', async () => {
    const { f, client } = await connect();
    f.double.enqueue({
      type: 'completion',
      content: 'Use a map.',
      usage: { prompt_tokens: 400, completion_tokens: 100, cached_tokens: 0 },
    });
    await client.callTool({ name: 'bzzz_announce', arguments: { agent_id: 'dev-1', role: 'developer' } });
    const result = await client.callTool({
      name: 'bzzz_task',
      arguments: { agent_id: 'dev-1', task_type: 'chat_completion', input: { prompt: 'How to dedupe?' } },
    });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({
      success: true,
      agent_id: 'dev-1',
      status: 'completed',
      result: { content: 'Use a map.' },
      // gpt-4o-mini: (400 × 0.15 + 100 × 0.6) / 1M
      usage: { prompt_tokens: 400, completion_tokens: 100, cached_tokens: 0, cost_usd: 0.00012 },
      cost_warning: null,
    });
    expect(f.double.count).toBe(1);
  });

  it('sends progress notifications while a slow task runs, when the client asks for them', async () => {
    const { f, client } = await connect();
    f.double.enqueue({
      type: 'completion',
      content: 'Done, slowly.',
      usage: { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 0 },
      delayMs: 2600,
    });
    await client.callTool({ name: 'bzzz_announce', arguments: { agent_id: 'dev-1', role: 'developer' } });
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'bzzz_task', arguments: { agent_id: 'dev-1', input: { prompt: 'take your time' } } },
      undefined,
      { onprogress: (notification) => void progress.push(notification), timeout: 30_000 },
    );
    expect(structured(result)).toMatchObject({ success: true, status: 'completed' });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]?.message).toMatch(/running on dev-1/);
  });

  it('answers OPENAI_ERROR "not configured" without an API key, and assigns nothing', async () => {
    for (const llm of [null, undefined]) {
      const { f, client } = await connect({ apiKey: null }, llm);
      await f.announce('dev-1');
      const result = await client.callTool({
        name: 'bzzz_task',
        arguments: { agent_id: 'dev-1', input: { prompt: 'hi' } },
      });
      expect(result.isError).toBe(true);
      expect(structured(result)).toMatchObject({ success: false, code: 'OPENAI_ERROR' });
      expect(String(structured(result).error)).toContain('not configured');
      expect(await f.streamTypes('agent-dev-1')).toEqual(['AgentAnnounced']);
      expect(f.double.count).toBe(0);
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await f.close();
      fixture = undefined;
    }
  });

  it('answers COST_LIMIT_EXCEEDED when the budget refuses the call', async () => {
    const { f, client } = await connect({
      config: { limits: { dailyUsd: 0, monthlyUsd: 1000, agentDailyUsd: null, perTaskUsd: null } },
    });
    await f.announce('dev-1');
    const result = await client.callTool({
      name: 'bzzz_task',
      arguments: { agent_id: 'dev-1', input: { prompt: 'hi' } },
    });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ code: 'COST_LIMIT_EXCEEDED' });
    expect(f.double.count).toBe(0);
  });

  it('cancelling the MCP request aborts the HTTP request; the task fails and the agent is idle', async () => {
    const { f, client } = await connect();
    f.double.fallback = () => ({ type: 'hang' });
    await f.announce('dev-1');
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'bzzz_task', arguments: { agent_id: 'dev-1', task_id: 'slow-1', input: { prompt: 'hi' } } },
      undefined,
      { signal: controller.signal },
    );
    await f.double.waitForRequests(1);
    controller.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    await expect.poll(() => f.double.abandoned).toBe(1);
    await f.system.settled();
    expect(f.double.count).toBe(1);
    expect(await f.task('dev-1', 'slow-1')).toMatchObject({ status: 'failed', error_code: 'OPENAI_ERROR' });
    expect((await f.system.inspect('agent', 'dev-1')).state).toMatchObject({ status: 'idle' });
  });

  it('answers a repeated task id with the recorded outcome, without a second call', async () => {
    const { f, client } = await connect();
    await f.announce('dev-1');
    const args = { agent_id: 'dev-1', task_id: 'same-1', input: { prompt: 'hi' } };
    const first = await client.callTool({ name: 'bzzz_task', arguments: args });
    const second = await client.callTool({ name: 'bzzz_task', arguments: args });
    expect(structured(second)).toMatchObject({ status: 'completed', result: structured(first).result });
    expect(f.double.count).toBe(1);
  });

  it('bzzz_post with a task message type starts the task effect too', async () => {
    const { f, client } = await connect();
    await client.callTool({ name: 'bzzz_announce', arguments: { agent_id: 'rev-1', role: 'reviewer' } });
    const posted = await client.callTool({
      name: 'bzzz_post',
      arguments: {
        target_address: 'bzzz://*:reviewer@*',
        message_type: 'code_review',
        content: { description: 'check this', code: 'eval(input)', language: 'js' },
      },
    });
    expect(posted.isError).toBeFalsy();
    const taskId = String((structured(posted).delivery_results as JsonObject).task_id);
    await f.system.settled();
    expect(f.double.count).toBe(1);
    expect((f.double.requests[0]!.body.messages as { content: string }[])[1]!.content).toContain(
      'eval(input)',
    );
    expect(await f.task('rev-1', taskId)).toMatchObject({
      status: 'completed',
      usage: { cost_usd: expect.any(Number) },
    });
  });
});
