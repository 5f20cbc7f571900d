import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { collectEvents } from '../support/services-harness.js';
import { body } from './transport-harness.js';

/**
 * The end-to-end scenario every transport must carry: announce, lookup, get, subscribe, thread create,
 * post, replay, and the subscription's notifications received. `prefix` keeps agent ids apart when
 * several clients share a store.
 */
export async function runScenario(client: Client, prefix: string): Promise<void> {
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = body(await client.callTool({ name, arguments: args }));
    expect(result.isError, `${name} ${JSON.stringify(result.structured)}`).toBe(false);
    return result.structured;
  };
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name)).toEqual(
    expect.arrayContaining([
      'bzzz_announce',
      'bzzz_lookup',
      'bzzz_get',
      'bzzz_thread',
      'bzzz_post',
      'bzzz_replay',
      'bzzz_subscribe',
    ]),
  );
  const architect = `${prefix}-arch`;
  const reviewer = `${prefix}-rev`;
  const events = collectEvents(client);
  const subscribed = await call('bzzz_subscribe', { event_types: ['thread_created', 'thread_message'] });
  expect(subscribed).toMatchObject({ success: true, status: 'active' });

  expect(
    await call('bzzz_announce', { agent_id: architect, role: 'architect', project: prefix }),
  ).toMatchObject({
    created: true,
    agent: { id: architect },
  });
  await call('bzzz_announce', { agent_id: reviewer, role: 'reviewer', project: prefix });
  const found = await call('bzzz_lookup', { semantic_address: `bzzz://*:reviewer@${prefix}` });
  expect(found).toMatchObject({ success: true, count: 1, matches: [{ id: reviewer }] });
  const got = await call('bzzz_get', { address: `bzzz://${architect}` });
  expect(got).toMatchObject({ success: true, content: { agent_info: { id: architect, role: 'architect' } } });

  const thread = await call('bzzz_thread', {
    action: 'create',
    topic: `${prefix} design review`,
    participants: [architect, reviewer],
  });
  const threadId = thread.thread_id as string;
  expect(threadId).toEqual(expect.any(String));
  const posted = await call('bzzz_post', {
    target_address: `bzzz://${reviewer}`,
    message_type: 'text',
    content: { text: 'please review the transport layer' },
    thread_id: threadId,
    sender: architect,
  });
  expect(posted).toMatchObject({
    success: true,
    delivery_results: { delivered: true, mode: 'thread', thread_id: threadId },
  });

  const replay = await call('bzzz_replay', { stream: `thread-${threadId}` });
  const types = (replay.events as { type: string }[]).map((event) => event.type);
  expect(types[0]).toBe('ThreadCreated');
  expect(types).toContain('MessagePosted');

  const created = await events.next(
    (event) => event.event.type === 'ThreadCreated' && event.event.stream === `thread-${threadId}`,
  );
  expect(created).toMatchObject({
    subscription_id: subscribed.subscription_id,
    event_type: 'thread_created',
  });
  const message = await events.next(
    (event) => event.event.type === 'MessagePosted' && event.event.stream === `thread-${threadId}`,
  );
  expect(message).toMatchObject({ event_type: 'thread_message' });
}
