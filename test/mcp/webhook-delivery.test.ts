import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BzzzEventPayload } from '../../src/mcp/subscriptions/notification.js';
import { verifyWebhookSignature, webhookSecret } from '../../src/mcp/subscriptions/webhook-policy.js';
import { structured } from '../support/mcp-harness.js';
import { type ServicesHarness, startServicesHarness } from './support/services-harness.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe('webhook delivery (local HTTP server on 127.0.0.1)', () => {
  let harness: ServicesHarness;
  let client: Client;
  let receiver: Receiver;
  beforeEach(async () => {
    harness = await startServicesHarness();
    client = await harness.connect();
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await harness.close();
    await receiver.close();
    expect(harness.errors).toEqual([]);
  });

  const call = async (name: string, args: Record<string, unknown>) =>
    structured(await client.callTool({ name, arguments: args }));
  const subscribe = async (extra: Record<string, unknown> = {}) =>
    call('bzzz_subscribe', {
      event_types: ['agent_announcement'],
      callback_webhook: receiver.url,
      notify_session: false,
      ...extra,
    });
  const subscriptionState = async (id: string) => (await harness.system.inspect('subscription', id)).state;

  it('POSTs signed events with the event id in body and header, and records each delivery', async () => {
    const subscribed = await subscribe();
    const id = subscribed.subscription_id as string;
    const secret = (subscribed.webhook as { secret: string }).secret;
    expect(subscribed.webhook).toEqual({
      secret: webhookSecret(harness.signingKey, id),
      signature_header: 'X-Bzzz-Signature',
      algorithm: 'hmac-sha256',
    });
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    const request = await receiver.requests.next();
    const payload = JSON.parse(request.body) as BzzzEventPayload;
    expect(payload).toMatchObject({
      subscription_id: id,
      event_type: 'agent_announcement',
      event: { stream: 'agent-arch-1', type: 'AgentAnnounced', position: expect.stringMatching(/^\d+$/) },
    });
    expect(request.headers['x-bzzz-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, request.body, request.headers['x-bzzz-signature'] as string)).toBe(
      true,
    );
    expect(verifyWebhookSignature('wrong', request.body, request.headers['x-bzzz-signature'] as string)).toBe(
      false,
    );
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-bzzz-event-id': payload.event.id,
      'x-bzzz-event-type': 'agent_announcement',
      'x-bzzz-subscription-id': id,
      'x-bzzz-delivery-attempt': '1',
    });
    const outcome = await harness.outcomes.next((o) => o.event_id === payload.event.id);
    expect(outcome).toMatchObject({ delivered: true, attempts: 1, position: payload.event.position });
    expect(await subscriptionState(id)).toMatchObject({
      last_delivered_position: payload.event.position,
      last_delivered_event_id: payload.event.id,
      delivered_count: 1,
    });
    // The secret appears in no event.
    const log = JSON.stringify(await harness.store.readAll(), (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    expect(log).not.toContain(secret);
  });

  it('retries after a 500 with the same body, and records a failure after the last attempt', async () => {
    const subscribed = await subscribe();
    const id = subscribed.subscription_id as string;
    receiver.respondWith(500);
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    const [first, second] = await receiver.requests.count(2);
    expect(first).toMatchObject({ status: 500, headers: { 'x-bzzz-delivery-attempt': '1' } });
    expect(second).toMatchObject({ status: 200, headers: { 'x-bzzz-delivery-attempt': '2' } });
    expect(second!.body).toBe(first!.body);
    expect(await harness.outcomes.next((o) => o.delivered)).toMatchObject({ attempts: 2 });

    // Down for good: 3 attempts (the harness's maxAttempts), then WebhookDeliveryFailed.
    receiver.defaultStatus = 503;
    await call('bzzz_announce', { agent_id: 'arch-2', role: 'architect' });
    const failed = await harness.outcomes.next((o) => !o.delivered);
    expect(failed).toMatchObject({ attempts: 3, reason: 'HTTP 503' });
    expect(receiver.requests.items.filter((r) => r.status === 503)).toHaveLength(3);
    expect(await subscriptionState(id)).toMatchObject({
      delivered_count: 1,
      failed_count: 1,
      last_failure: { event_id: failed.event_id, attempts: 3, reason: 'HTTP 503' },
    });

    // A client error is not retried.
    receiver.defaultStatus = 400;
    await call('bzzz_announce', { agent_id: 'arch-3', role: 'architect' });
    const rejected = await harness.outcomes.next((o) => !o.delivered && o.event_id !== failed.event_id);
    expect(rejected).toMatchObject({ attempts: 1, reason: 'HTTP 400 (not retried)' });
  });

  it('resumes after a restart from the last delivered position (at least once)', async () => {
    const subscribed = await subscribe();
    const id = subscribed.subscription_id as string;
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    const firstOutcome = await harness.outcomes.next();
    await harness.stopServices();
    // Recorded while the dispatcher is down.
    await harness.system.send('agent', 'arch-2', { type: 'AnnounceAgent', role: 'architect' });
    await harness.system.send('agent', 'arch-3', { type: 'AnnounceAgent', role: 'architect' });
    harness.startServices();
    const delivered = await harness.outcomes.count(3, (o) => o.delivered);
    const streams = receiver.requests.items.map((r) => (JSON.parse(r.body) as BzzzEventPayload).event.stream);
    expect(streams).toEqual(['agent-arch-1', 'agent-arch-2', 'agent-arch-3']);
    expect(delivered[0]).toEqual(firstOutcome);
    const state = await subscriptionState(id);
    expect(state).toMatchObject({ delivered_count: 3, last_delivered_position: delivered[2]!.position });
    expect(harness.services.dispatcher.webhookSubscriptions).toEqual([id]);
  });

  it('stops delivering after bzzz_unsubscribe and serves no cancelled subscription after a restart', async () => {
    const subscribed = await subscribe();
    const id = subscribed.subscription_id as string;
    expect(await call('bzzz_unsubscribe', { subscription_id: id })).toMatchObject({ status: 'cancelled' });
    await harness.restartServices();
    const watcher = await subscribe({ event_types: ['agent_announcement'] });
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    await harness.outcomes.next((o) => o.subscription_id === watcher.subscription_id);
    expect(receiver.requests.items.map((r) => r.headers['x-bzzz-subscription-id'])).toEqual([
      watcher.subscription_id,
    ]);
    expect(harness.services.dispatcher.webhookSubscriptions).toEqual([watcher.subscription_id]);
  });
});
