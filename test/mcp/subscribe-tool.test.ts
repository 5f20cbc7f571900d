import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { structured } from '../support/mcp-harness.js';
import { collectEvents, type ServicesHarness, startServicesHarness } from './support/services-harness.js';

describe('bzzz_subscribe / bzzz_unsubscribe: MCP notifications', () => {
  let harness: ServicesHarness;
  let client: Client;
  beforeEach(async () => {
    harness = await startServicesHarness();
    client = await harness.connect();
  });
  afterEach(() => harness.close());

  const call = async (name: string, args: Record<string, unknown>, on = client) => {
    const result = await on.callTool({ name, arguments: args });
    return { isError: result.isError === true, body: structured(result) };
  };

  it('notifies the session of matching events only, and stops after unsubscribe', async () => {
    const events = collectEvents(client);
    const { isError, body } = await call('bzzz_subscribe', {
      event_types: ['agent_announcement', 'task_assignment'],
      filter_address: 'bzzz://*:architect@*',
    });
    expect(isError).toBe(false);
    expect(body).toMatchObject({
      success: true,
      subscription_id: expect.stringMatching(/^sub-\d+-[0-9a-z]{6}$/),
      event_types: ['agent_announcement', 'task_assignment'],
      filter_address: 'bzzz://*:architect@*',
      callback_webhook: null,
      subscriber: 'mcp:test-client',
      subscribed_at: expect.any(String),
      status: 'active',
      notification_method: 'notifications/bzzz/event',
      webhook: null,
    });
    const id = body.subscription_id as string;
    // Another client's actions reach this session's subscription.
    const other = await harness.connect('other-client');
    await call('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer' }, other);
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' }, other);
    await harness.system.send('agent', 'arch-1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    const announced = await events.next((e) => e.event.type === 'AgentAnnounced');
    expect(announced).toEqual({
      subscription_id: id,
      event_type: 'agent_announcement',
      event: {
        id: expect.any(String),
        stream: 'agent-arch-1',
        type: 'AgentAnnounced',
        position: expect.stringMatching(/^\d+$/),
        data: expect.objectContaining({ agent_id: 'arch-1', role: 'architect' }),
        recorded_at: expect.any(String),
      },
    });
    const assigned = await events.next((e) => e.event.type === 'TaskAssigned');
    expect(assigned).toMatchObject({ event_type: 'task_assignment', event: { stream: 'agent-arch-1' } });
    expect(events.items.map((e) => e.event.stream)).toEqual(['agent-arch-1', 'agent-arch-1']);
    expect(BigInt(assigned.event.position)).toBeGreaterThan(BigInt(announced.event.position));

    const cancelled = await call('bzzz_unsubscribe', { subscription_id: id });
    expect(cancelled.body).toMatchObject({
      success: true,
      subscription_id: id,
      status: 'cancelled',
      changed: true,
    });
    const again = await call('bzzz_unsubscribe', { subscription_id: id });
    expect(again.body).toMatchObject({ success: true, changed: false });
    // A second, unfiltered subscription proves later events flow; the cancelled one stays silent.
    const watcher = await call('bzzz_subscribe', { event_types: ['agent_announcement'] });
    await call('bzzz_announce', { agent_id: 'arch-2', role: 'architect' }, other);
    await events.next(
      (e) => e.subscription_id === watcher.body.subscription_id && e.event.stream === 'agent-arch-2',
    );
    expect(events.items.filter((e) => e.subscription_id === id)).toHaveLength(2);
  });

  it('matches thread events through their participants', async () => {
    const events = collectEvents(client);
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect', project: 'apollo' });
    await call('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer', project: 'apollo' });
    await call('bzzz_announce', { agent_id: 'dev-1', role: 'developer' });
    await call('bzzz_subscribe', {
      event_types: ['thread_created', 'thread_message'],
      filter_address: 'bzzz://*:reviewer@*',
    });
    const devOnly = await call('bzzz_thread', { action: 'create', topic: 'solo', participants: ['dev-1'] });
    const review = await call('bzzz_thread', {
      action: 'create',
      topic: 'review',
      participants: ['arch-1', 'rev-1'],
    });
    await call('bzzz_thread', {
      action: 'post',
      thread_id: review.body.thread_id,
      agent_id: 'arch-1',
      content: 'hi',
    });
    await call('bzzz_thread', {
      action: 'post',
      thread_id: devOnly.body.thread_id,
      agent_id: 'dev-1',
      content: 'x',
    });
    await call('bzzz_thread', {
      action: 'post',
      thread_id: review.body.thread_id,
      agent_id: 'rev-1',
      content: 'yo',
    });
    const received = await events.count(3);
    expect(received.map((e) => [e.event_type, e.event.stream])).toEqual([
      ['thread_created', `thread-${String(review.body.thread_id)}`],
      ['thread_message', `thread-${String(review.body.thread_id)}`],
      ['thread_message', `thread-${String(review.body.thread_id)}`],
    ]);
  });

  it('cancels a session-only subscription when the session closes', async () => {
    const { body } = await call('bzzz_subscribe', { event_types: ['thread_created'] });
    const id = body.subscription_id as string;
    await client.close();
    await harness.services.dispatcher.stop();
    const { state } = await harness.system.inspect('subscription', id);
    expect(state).toMatchObject({ status: 'cancelled', cancel_reason: 'MCP session closed' });
  });

  it('a session that closes while its subscription is being recorded leaves no delivery behind', async () => {
    // The call is in flight (the Subscribe command being appended) when the session closes: the
    // session's close handlers run first, and a delivery worker (a store follower) attached after them
    // would have run for ever, for a session that no longer exists.
    const pending = client
      .callTool({ name: 'bzzz_subscribe', arguments: { event_types: ['thread_created'] } })
      .catch(() => undefined);
    await client.close();
    await pending;
    // Waits on conditions (vi.waitFor retries until the callback stops throwing).
    const id = await vi.waitFor(async () => {
      const created = (await harness.store.readAll()).find((e) => e.type === 'SubscriptionCreated');
      if (created === undefined) throw new Error('the subscription is not recorded yet');
      return created.stream.replace(/^subscription-/, '');
    });
    await vi.waitFor(async () => {
      const { state } = await harness.system.inspect('subscription', id);
      expect(state).toMatchObject({ status: 'cancelled', cancel_reason: 'MCP session closed' });
    });
    expect(harness.services.dispatcher.sessionSubscriptions).toEqual([]);
  });

  it('refuses bad subscriptions with their codes and appends nothing', async () => {
    const before = await harness.store.readAll();
    const cases: [string, Record<string, unknown>, string][] = [
      ['bzzz_subscribe', { event_types: [] }, 'INVALID_PARAMETERS'],
      ['bzzz_subscribe', { event_types: ['everything'] }, 'INVALID_PARAMETERS'],
      [
        'bzzz_subscribe',
        { event_types: ['thread_created'], filter_address: 'bzzz://a b' },
        'INVALID_ADDRESS',
      ],
      [
        'bzzz_subscribe',
        { event_types: ['thread_created'], callback_webhook: 'http://203.0.113.7/hook' },
        'INVALID_PARAMETERS',
      ],
      [
        'bzzz_subscribe',
        { event_types: ['thread_created'], callback_webhook: 'https://hooks.example.com/x' },
        'INVALID_PARAMETERS',
      ],
      [
        'bzzz_subscribe',
        { event_types: ['thread_created'], callback_webhook: 'http://user:pw@127.0.0.1/x' },
        'INVALID_PARAMETERS',
      ],
      [
        'bzzz_subscribe',
        { event_types: ['thread_created'], callback_webhook: 'ftp://127.0.0.1/x' },
        'INVALID_PARAMETERS',
      ],
      ['bzzz_subscribe', { event_types: ['thread_created'], notify_session: false }, 'INVALID_PARAMETERS'],
      ['bzzz_unsubscribe', { subscription_id: 'sub-unknown' }, 'SUBSCRIPTION_NOT_FOUND'],
      ['bzzz_unsubscribe', { subscription_id: 'bad id' }, 'INVALID_PARAMETERS'],
    ];
    for (const [name, args, code] of cases) {
      const result = await call(name, args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.body, JSON.stringify(args)).toMatchObject({ success: false, code });
    }
    const refused = await call('bzzz_subscribe', {
      event_types: ['thread_created'],
      callback_webhook: 'http://203.0.113.7/hook',
    });
    expect(refused.body).toMatchObject({
      details: { reason: expect.stringContaining('not on the webhook allowlist') },
    });
    expect(await harness.store.readAll()).toEqual(before);
  });
});
