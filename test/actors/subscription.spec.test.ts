import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecideContext } from '../../src/actors/actor-kind.js';
import { DomainErrorCode } from '../../src/actors/domain-error.js';
import { applyEvent, decideAndApply } from '../../src/actors/fold.js';
import { subscriptionKind } from '../../src/actors/subscription/subscription-kind.js';
import type { SubscriptionEvent } from '../../src/actors/subscription/subscription-machine.js';
import { checkHistory, type PropertyStep } from '../support/actor-property.js';
import { SPEC_NOW, spec } from '../support/actor-spec.js';

const NOW = new Date(SPEC_NOW).toISOString();
const EARLIER = '2026-03-01T11:59:00.000Z';
const Code = DomainErrorCode;
const WEBHOOK = 'https://hooks.example.test/bzzz';

const created = (overrides: Partial<Extract<SubscriptionEvent, { type: 'SubscriptionCreated' }>> = {}) =>
  ({
    type: 'SubscriptionCreated',
    subscription_id: 'sub-1',
    event_types: ['agent_announcement', 'task_assignment'],
    filter_address: 'bzzz://*:architect@*',
    callback_webhook: WEBHOOK,
    subscriber_id: 'architect-001',
    session_id: null,
    subscribed_at: EARLIER,
    ...overrides,
  }) as SubscriptionEvent;
const cancelled: SubscriptionEvent = { type: 'SubscriptionCancelled', reason: null, cancelled_at: EARLIER };
const delivered = (position: string, eventId = `e${position}`): SubscriptionEvent => ({
  type: 'WebhookDelivered',
  event_id: eventId,
  position,
  attempts: 1,
  delivered_at: EARLIER,
});

const subscribe = {
  type: 'Subscribe',
  event_types: ['agent_announcement', 'task_assignment'],
  filter_address: 'bzzz://*:architect@*',
  callback_webhook: WEBHOOK,
  subscriber_id: 'architect-001',
};
const cancel = { type: 'CancelSubscription' };
const deliver = (position: string, eventId = `e${position}`) => ({
  type: 'RecordWebhookDelivery',
  event_id: eventId,
  position,
  attempts: 2,
});
const failure = (eventId: string) => ({
  type: 'RecordWebhookFailure',
  event_id: eventId,
  attempts: 5,
  reason: '503',
});

const context: DecideContext = { actorId: 'sub-1', now: SPEC_NOW, newId: () => 'id-1' };
const subscription = spec(subscriptionKind, 'sub-1');

describe('subscription: Subscribe', () => {
  it('creates an active subscription and starts delivery', () => {
    const { events, state, effects } = decideAndApply(
      subscriptionKind,
      subscription.given().state,
      { ...subscribe, event_types: ['agent_announcement', 'task_assignment', 'agent_announcement'] },
      context,
    );
    expect(events).toEqual([created({ subscribed_at: NOW })]);
    expect(subscriptionKind.view(state)).toMatchObject({
      id: 'sub-1',
      event_types: ['agent_announcement', 'task_assignment'],
      filter_address: 'bzzz://*:architect@*',
      callback_webhook: WEBHOOK,
      subscriber_id: 'architect-001',
      subscribed_at: NOW,
      status: 'active',
      last_delivered_position: null,
    });
    expect(effects).toEqual([
      {
        type: 'startSubscriptionDelivery',
        params: {
          subscriptionId: 'sub-1',
          eventTypes: ['agent_announcement', 'task_assignment'],
          filterAddress: 'bzzz://*:architect@*',
          callbackWebhook: WEBHOOK,
          sessionId: null,
          afterPosition: null,
        },
      },
    ]);
  });

  it('needs neither a filter nor a webhook', () => {
    subscription
      .given()
      .when({ type: 'Subscribe', event_types: ['thread_message'], subscriber_id: 's', session_id: 'mcp-7' })
      .then([
        created({
          event_types: ['thread_message'],
          filter_address: null,
          callback_webhook: null,
          subscriber_id: 's',
          session_id: 'mcp-7',
          subscribed_at: NOW,
        }),
      ]);
  });

  it.each([
    ['no event type', { ...subscribe, event_types: [] }],
    ['an unknown event type', { ...subscribe, event_types: ['everything'] }],
    ['a filter that is no bzzz address', { ...subscribe, filter_address: 'http://x' }],
    ['a webhook that is no URL', { ...subscribe, callback_webhook: 'not a url' }],
    ['a webhook that is not http(s)', { ...subscribe, callback_webhook: 'ftp://example.test/x' }],
    ['no subscriber', { ...subscribe, subscriber_id: undefined }],
  ])('refuses %s', (_, command) => {
    subscription.given().when(command).thenThrows(Code.InvalidParameters);
  });

  it('ignores a retried subscribe, and refuses other parameters or a cancelled id', () => {
    subscription
      .given([created()])
      .when({ ...subscribe, event_types: ['task_assignment', 'agent_announcement'] })
      .thenNothingHappened();
    subscription
      .given([created()])
      .when({ ...subscribe, subscriber_id: 'x' })
      .thenThrows(Code.InvalidTransition);
    subscription
      .given([created(), cancelled])
      .when(subscribe)
      .thenThrows(Code.InvalidTransition, /cancelled/);
  });
});

describe('subscription: CancelSubscription', () => {
  it('cancels and stops delivery', () => {
    const { events, state, effects } = decideAndApply(
      subscriptionKind,
      subscription.given([created()]).state,
      { ...cancel, reason: 'session closed' },
      context,
    );
    expect(events).toEqual([{ type: 'SubscriptionCancelled', reason: 'session closed', cancelled_at: NOW }]);
    expect(subscriptionKind.view(state)).toMatchObject({ status: 'cancelled', cancelled_at: NOW });
    expect(state.status).toBe('done');
    expect(effects).toEqual([{ type: 'stopSubscriptionDelivery', params: { subscriptionId: 'sub-1' } }]);
  });

  it('is idempotent, and refuses an unknown subscription', () => {
    subscription.given([created(), cancelled]).when(cancel).thenNothingHappened();
    subscription.given().when(cancel).thenThrows(Code.SubscriptionNotFound);
  });
});

describe('subscription: RecordWebhookDelivery', () => {
  it('records a delivery and moves the cursor forwards', () => {
    const state = subscription
      .given([created(), delivered('9')])
      .when(deliver('10'))
      .then([{ type: 'WebhookDelivered', event_id: 'e10', position: '10', attempts: 2, delivered_at: NOW }]);
    expect(subscriptionKind.view(state)).toMatchObject({
      last_delivered_position: '10',
      last_delivered_event_id: 'e10',
      delivered_count: 2,
    });
  });

  it('compares positions beyond 2^53 exactly', () => {
    subscription
      .given([created(), delivered('9007199254740993')])
      .when(deliver('9007199254740994'))
      .then([expect.objectContaining({ position: '9007199254740994' })]);
    subscription
      .given([created(), delivered('9007199254740993')])
      .when(deliver('9007199254740992'))
      .thenNothingHappened();
  });

  it('ignores a delivery at or before the cursor, and any outcome after cancellation', () => {
    subscription
      .given([created(), delivered('10')])
      .when(deliver('10'))
      .thenNothingHappened();
    subscription
      .given([created(), delivered('10')])
      .when(deliver('3'))
      .thenNothingHappened();
    subscription.given([created(), cancelled]).when(deliver('11')).thenNothingHappened();
  });

  it('refuses an unknown subscription, one without webhook, or a malformed position', () => {
    subscription.given().when(deliver('1')).thenThrows(Code.SubscriptionNotFound);
    subscription
      .given([created({ callback_webhook: null })])
      .when(deliver('1'))
      .thenThrows(Code.InvalidTransition, /callback_webhook/);
    subscription.given([created()]).when(deliver('-1')).thenThrows(Code.InvalidParameters);
    subscription.given([created()]).when(deliver('01')).thenThrows(Code.InvalidParameters);
    subscription
      .given([created()])
      .when({ ...deliver('1'), attempts: 0 })
      .thenThrows(Code.InvalidParameters);
  });

  it('machine refuses a delivery that moves the cursor backwards', () => {
    const state = subscription.given([created(), delivered('10')]).state;
    expect(() => applyEvent(subscriptionKind, state, delivered('5'))).toThrow(/cannot take WebhookDelivered/);
  });
});

describe('subscription: RecordWebhookFailure', () => {
  it('records a failure, and a later delivery resets the consecutive count', () => {
    const state = subscription
      .given([created()])
      .when(failure('e1'))
      .then([{ type: 'WebhookDeliveryFailed', event_id: 'e1', attempts: 5, reason: '503', failed_at: NOW }]);
    expect(subscriptionKind.view(state)).toMatchObject({
      failed_count: 1,
      consecutive_failures: 1,
      last_failure: { event_id: 'e1', attempts: 5, reason: '503', at: NOW },
    });
    const [after] = applyEvent(subscriptionKind, state, delivered('4'));
    expect(subscriptionKind.view(after)).toMatchObject({ failed_count: 1, consecutive_failures: 0 });
  });

  it('ignores a failure of the delivered event, and any failure after cancellation', () => {
    subscription
      .given([created(), delivered('4', 'e4')])
      .when(failure('e4'))
      .thenNothingHappened();
    subscription.given([created(), cancelled]).when(failure('e1')).thenNothingHappened();
  });

  it('refuses an unknown subscription, one without webhook, or no reason', () => {
    subscription.given().when(failure('e1')).thenThrows(Code.SubscriptionNotFound);
    subscription
      .given([created({ callback_webhook: null })])
      .when(failure('e1'))
      .thenThrows(Code.InvalidTransition);
    subscription
      .given([created()])
      .when({ ...failure('e1'), reason: '' })
      .thenThrows(Code.InvalidParameters);
  });
});

describe('subscription: deadlines', () => {
  it('has none', () => {
    expect(subscriptionKind.deadlines).toBeUndefined();
  });
});

describe('subscription: random histories', () => {
  const eventId = fc.constantFrom('e1', 'e2', 'e3');
  const command = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record(
        {
          type: fc.constant('Subscribe'),
          event_types: fc.subarray(['agent_announcement', 'task_completed', 'bogus']),
          filter_address: fc.constantFrom('bzzz://*:*@*', 'nope'),
          callback_webhook: fc.constantFrom(WEBHOOK, 'mailto:x@example.test'),
          subscriber_id: fc.constantFrom('s1', 's2'),
        },
        { requiredKeys: ['type', 'event_types', 'subscriber_id'] },
      ),
    },
    { weight: 1, arbitrary: fc.constant(cancel) },
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constant('RecordWebhookDelivery'),
        event_id: eventId,
        position: fc.bigInt({ min: -1n, max: 2n ** 64n }).map(String),
        attempts: fc.integer({ min: 0, max: 3 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('RecordWebhookFailure'),
        event_id: eventId,
        attempts: fc.integer({ min: 1, max: 3 }),
        reason: fc.constantFrom('timeout', ''),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ type: 'Unsubscribe' }) },
  );
  const step: fc.Arbitrary<PropertyStep> = fc.record({
    command,
    advanceMs: fc.integer({ min: 0, max: 60_000 }),
  });

  it('throw only DomainErrors, and replaying their events gives the same view', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'medium' }), (steps) => {
        const first = {
          type: 'Subscribe',
          event_types: ['network_status'],
          callback_webhook: WEBHOOK,
          subscriber_id: 's1',
        };
        const { state } = checkHistory(subscriptionKind, 'sub-1', [
          { command: first, advanceMs: 0 },
          ...steps,
        ]);
        const view = subscriptionKind.view(state);
        expect(view.consecutive_failures).toBeLessThanOrEqual(view.failed_count as number);
      }),
      { numRuns: 300 },
    );
  });
});
