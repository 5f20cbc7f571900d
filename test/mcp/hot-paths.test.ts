import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import { serializeMessage, withJsonFragment } from '../../src/mcp/transports/json-fragments.js';
import { startMcpHarness, structured } from '../support/mcp-harness.js';

type Harness = Awaited<ReturnType<typeof startMcpHarness>>;

/**
 * The hot tools answer without the SDK's run-time output check, with a compact text and cached
 * matches: their answers must still be exactly what their output schemas say (the client checks them
 * against the listed schemas), and every query must still see every command answered before it.
 */
describe('bzzz_lookup and bzzz_post on their fast paths', () => {
  let harness: Harness;
  let client: Client;
  beforeEach(async () => {
    harness = await startMcpHarness();
    client = await harness.connect();
    // As MCP hosts do: with the tool list, the SDK client checks structured results against the schemas.
    await client.listTools();
    const agents = [
      { agent_id: 'rev-1', role: 'reviewer', project: 'web', capabilities: ['code_review'] },
      { agent_id: 'rev-2', role: 'reviewer', project: 'web', max_tasks: 1 },
      { agent_id: 'arch-1', role: 'architect', project: 'web' },
    ];
    for (const agent of agents) await client.callTool({ name: 'bzzz_announce', arguments: agent });
  });
  afterEach(() => harness.close());

  const call = async (name: string, args: Record<string, unknown>, from = client) =>
    (await from.callTool({ name, arguments: args })) as CallToolResult;
  const text = (result: CallToolResult) => (result.content[0] as { type: 'text'; text: string }).text;

  it('answers lookups in the contract shape, best first, with a one-line text of ids and scores', async () => {
    const first = await call('bzzz_lookup', { semantic_address: 'bzzz://*:reviewer@web' });
    expect(first.isError).toBeFalsy();
    expect(structured(first)).toEqual({
      success: true,
      address: 'bzzz://*:reviewer@web',
      parsed_address: {
        agent: null,
        role: 'reviewer',
        project: 'web',
        task: null,
        path: null,
        raw: 'bzzz://*:reviewer@web',
      },
      matches: [
        {
          id: 'rev-1',
          role: 'reviewer',
          capabilities: ['code_review'],
          available: true,
          performance: 0.5,
          score: 70,
        },
        expect.objectContaining({ id: 'rev-2', score: 70 }),
      ],
      count: 2,
      node_id: '12D3KooWTestNode',
      query_time: expect.any(String),
    });
    expect(text(first)).toBe('2 agent(s) match bzzz://*:reviewer@web, best first: rev-1 (70), rev-2 (70)');
    // The same query again (its cached answer), then after a change it can see.
    const again = await call('bzzz_lookup', { semantic_address: 'bzzz://*:reviewer@web' });
    expect(structured(again).matches).toEqual(structured(first).matches);
    const assigned = await call('bzzz_post', {
      target_address: 'bzzz://rev-2',
      message_type: 'code_review',
      content: { description: 'review it' },
    });
    expect(structured(assigned)).toMatchObject({ delivery_results: { recipients: ['rev-2'], mode: 'task' } });
    const other = await harness.connect('another-client');
    const after = await call(
      'bzzz_lookup',
      { semantic_address: 'bzzz://*:reviewer@web', include_details: true },
      other,
    );
    expect(structured(after)).toMatchObject({
      matches: [
        { id: 'rev-1', available: true, score: 70 },
        { id: 'rev-2', status: 'busy', available: false, score: 30 },
      ],
    });
    const none = await call('bzzz_lookup', { semantic_address: 'bzzz://*:tester@*' });
    expect(text(none)).toBe('0 agent(s) match bzzz://*:tester@*');
  });

  it('names the node of an agent announced on another node, and only then', async () => {
    const peerStore = harness.openPeerStore('12D3KooWPeerNode');
    try {
      const peer = new ActorSystem({ store: peerStore, kinds: actorKinds });
      const announced = await peer.send('agent', 'far-1', {
        type: 'AnnounceAgent',
        role: 'reviewer',
        project: 'web',
        capabilities: [],
      });
      await harness.projections.waitFor(announced.position);
      const found = await call('bzzz_lookup', { semantic_address: 'bzzz://*:reviewer@web' });
      const matches = structured(found).matches as Record<string, unknown>[];
      expect(matches.map((m) => [m.id, m.node_id])).toEqual([
        ['far-1', '12D3KooWPeerNode'],
        ['rev-1', undefined],
        ['rev-2', undefined],
      ]);
      expect(structured(found).node_id).toBe('12D3KooWTestNode');
    } finally {
      await peerStore.close();
    }
  });

  it('answers a post once it is durable; the next query, from any session, sees it', async () => {
    const created = await call('bzzz_thread', {
      action: 'create',
      topic: 'Review',
      participants: ['rev-1', 'arch-1'],
    });
    const threadId = structured(created).thread_id as string;
    const posted = await call('bzzz_post', {
      target_address: 'bzzz://arch-1',
      message_type: 'text',
      content: { text: 'looks good' },
      thread_id: threadId,
      sender: 'rev-1',
    });
    expect(posted.isError).toBeFalsy();
    expect(structured(posted)).toMatchObject({
      success: true,
      message_id: expect.any(String),
      delivery_results: { delivered: true, recipients: ['arch-1'], delivery_time: expect.any(Number) },
      position: expect.stringMatching(/^\d+$/),
    });
    const messageId = structured(posted).message_id as string;
    expect(text(posted)).toBe(
      `text delivered to arch-1 (thread): message ${messageId} in thread ${threadId}`,
    );
    const other = await harness.connect('another-client');
    const listed = await call('bzzz_report', { report: 'threads' }, other);
    expect(structured(listed)).toMatchObject({
      result: { items: [{ id: threadId, message_count: 1 }], totals: { created: 1 } },
    });
    const stats = await call('bzzz_report', { report: 'stats' }, other);
    expect(structured(stats)).toMatchObject({ result: { messages_processed: 1 } });
  });
});

describe('serializeMessage', () => {
  it('splices kept JSON into a tool result and writes exactly what JSON.stringify writes', () => {
    const matches = withJsonFragment(Object.freeze([Object.freeze({ id: 'a "quoted" id', score: 70 })]));
    const message = {
      result: {
        content: [{ type: 'text', text: 'bzzz-json-fragment-00 and "quotes"' }],
        structuredContent: { success: true, matches, count: 1, again: matches },
      },
      jsonrpc: '2.0',
      id: 7,
    };
    expect(serializeMessage(message)).toBe(JSON.stringify(message));
    const plain = { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } };
    expect(serializeMessage(plain)).toBe(JSON.stringify(plain));
    const error = { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad' } };
    expect(serializeMessage(error)).toBe(JSON.stringify(error));
  });
});
