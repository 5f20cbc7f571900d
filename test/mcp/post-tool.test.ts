import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directThreadId } from '../../src/mcp/tools/post-delivery.js';
import { startMcpHarness, structured } from '../support/mcp-harness.js';

type Harness = Awaited<ReturnType<typeof startMcpHarness>>;

describe('bzzz_post (real SDK client, in-memory transport)', () => {
  let harness: Harness;
  let client: Client;
  beforeEach(async () => {
    harness = await startMcpHarness();
    client = await harness.connect();
    const agents = [
      { agent_id: 'architect-001', role: 'architect', project: 'myproject' },
      {
        agent_id: 'reviewer-001',
        role: 'reviewer',
        project: 'myproject',
        capabilities: ['code_review'],
        max_tasks: 1,
      },
      { agent_id: 'reviewer-002', role: 'reviewer', project: 'other' },
    ];
    for (const agent of agents) await client.callTool({ name: 'bzzz_announce', arguments: agent });
  });
  afterEach(() => harness.close());

  const post = async (args: Record<string, unknown>) => {
    const result = await client.callTool({ name: 'bzzz_post', arguments: args });
    return { isError: result.isError === true, body: structured(result) };
  };

  it('assigns a task type to the best available matching agent', async () => {
    const { isError, body } = await post({
      target_address: 'bzzz://*:reviewer@myproject',
      message_type: 'code_review',
      content: { description: 'Review the pagination PR', code: 'fn()', language: 'ts' },
      priority: 'high',
    });
    expect(isError).toBe(false);
    expect(body).toMatchObject({
      success: true,
      message_id: expect.stringMatching(/^task-\d+-[0-9a-z]{6}$/),
      target_address: 'bzzz://*:reviewer@myproject',
      message_type: 'code_review',
      priority: 'high',
      delivery_results: {
        delivered: true,
        recipients: ['reviewer-001'],
        delivery_time: expect.any(Number),
        mode: 'task',
        task_id: body.message_id,
        thread_id: null,
      },
      posted_at: expect.any(String),
    });
    const got = await client.callTool({ name: 'bzzz_get', arguments: { address: 'bzzz://reviewer-001' } });
    expect(structured(got)).toMatchObject({
      content: {
        agent_info: { status: 'busy', available: false },
        current_tasks: [
          {
            id: body.message_id,
            type: 'code_review',
            description: 'Review the pagination PR',
            input: { code: 'fn()', language: 'ts', priority: 'high' },
          },
        ],
      },
    });
    // reviewer-001 is full (max_tasks 1) and the only reviewer of myproject: nobody can take another.
    const before = await harness.store.readAll();
    const refused = await post({
      target_address: 'bzzz://*:reviewer@myproject',
      message_type: 'task',
      content: { task_type: 'code_review', description: 'another' },
    });
    expect(refused).toMatchObject({
      isError: true,
      body: { code: 'AGENT_NOT_FOUND', details: { matching_agents: 1, task_type: 'code_review' } },
    });
    expect(await harness.store.readAll()).toEqual(before);
  });

  it('posts into a thread as the given sender, and refuses strangers and unknown threads', async () => {
    const created = await client.callTool({
      name: 'bzzz_thread',
      arguments: { action: 'create', topic: 'Review', participants: ['architect-001', 'reviewer-001'] },
    });
    const threadId = structured(created).thread_id as string;
    const { body } = await post({
      target_address: 'bzzz://*:reviewer@*',
      message_type: 'question',
      content: { text: 'Is cursor pagination fine?', sender: 'architect-001', refs: ['PR-12'] },
      thread_id: threadId,
    });
    expect(body).toMatchObject({
      message_id: expect.any(String),
      delivery_results: {
        delivered: true,
        recipients: ['reviewer-001'],
        mode: 'thread',
        thread_id: threadId,
      },
    });
    const listed = await client.callTool({
      name: 'bzzz_thread',
      arguments: { action: 'summarize', thread_id: threadId },
    });
    expect(structured(listed)).toMatchObject({
      result: { summary: expect.stringContaining('architect-001 (question): Is cursor pagination fine?') },
    });
    const before = await harness.store.readAll();
    const cases: [Record<string, unknown>, string][] = [
      [{ thread_id: threadId, content: { text: 'no sender' } }, 'INVALID_PARAMETERS'],
      [{ thread_id: threadId, content: { text: 'x' }, sender: 'reviewer-002' }, 'NOT_PARTICIPANT'],
      [{ thread_id: 'thread-nope', content: { text: 'x' }, sender: 'architect-001' }, 'THREAD_NOT_FOUND'],
      [{ thread_id: 'thread-nope', message_type: 'code_review', content: {} }, 'THREAD_NOT_FOUND'],
      [{ target_address: 'http://x', content: { text: 'x' } }, 'INVALID_ADDRESS'],
      [{ target_address: 'bzzz://*:nobody@*', content: { text: 'x' } }, 'AGENT_NOT_FOUND'],
      [{ priority: 'whenever', content: { text: 'x' } }, 'INVALID_PARAMETERS'],
      [{ content: 'not an object' }, 'INVALID_PARAMETERS'],
    ];
    for (const [args, code] of cases) {
      const result = await post({ target_address: 'bzzz://*:reviewer@*', message_type: 'note', ...args });
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.body, JSON.stringify(args)).toMatchObject({ success: false, code });
    }
    expect(await harness.store.readAll()).toEqual(before);
  });

  it('records a message outside threads in the direct thread of sender and recipients', async () => {
    const first = await post({
      target_address: 'bzzz://*:reviewer@*',
      message_type: 'review_request',
      content: { message: 'Please look at PR-12', url: 'https://example.invalid/pr/12' },
      sender: 'architect-001',
    });
    const threadId = directThreadId('architect-001', ['reviewer-001', 'reviewer-002']);
    expect(first.body).toMatchObject({
      delivery_results: { mode: 'direct', recipients: ['reviewer-001', 'reviewer-002'], thread_id: threadId },
    });
    const second = await post({
      target_address: 'bzzz://*:reviewer@*',
      message_type: 'review_request',
      content: { message: 'Ping' },
      sender: 'architect-001',
    });
    expect(second.body).toMatchObject({ delivery_results: { thread_id: threadId } });
    const inbox = await client.callTool({
      name: 'bzzz_thread',
      arguments: { action: 'list', agent_id: 'reviewer-002' },
    });
    expect(structured(inbox).result).toMatchObject([{ id: threadId, message_count: 2 }]);
    const { state } = await harness.system.inspect('thread', threadId);
    expect(state.messages).toMatchObject([
      {
        sender: 'architect-001',
        content: 'Please look at PR-12',
        message_type: 'text',
        metadata: {
          post_message_type: 'review_request',
          priority: 'medium',
          content: { url: 'https://example.invalid/pr/12' },
        },
      },
      { content: 'Ping' },
    ]);
    // Without a sender, the MCP client is the sender.
    const anonymous = await post({
      target_address: 'bzzz://reviewer-002',
      message_type: 'text',
      content: { note: 'no text field' },
    });
    expect(anonymous.body).toMatchObject({
      delivery_results: {
        thread_id: directThreadId('mcp:test-client', ['reviewer-002']),
        recipients: ['reviewer-002'],
      },
    });
  });
});
