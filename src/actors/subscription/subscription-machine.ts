import { assign, setup } from 'xstate';

/** The seed's event types, plus thread_message and task_completed. */
export const SUBSCRIPTION_EVENT_TYPES = [
  'agent_announcement',
  'task_assignment',
  'thread_created',
  'thread_escalated',
  'network_status',
  'thread_message',
  'task_completed',
] as const;

export type SubscriptionEventType = (typeof SUBSCRIPTION_EVENT_TYPES)[number];

export type SubscriptionCreated = {
  type: 'SubscriptionCreated';
  subscription_id: string;
  event_types: SubscriptionEventType[];
  filter_address: string | null;
  callback_webhook: string | null;
  subscriber_id: string;
  session_id: string | null;
  subscribed_at: string;
};
export type SubscriptionCancelled = {
  type: 'SubscriptionCancelled';
  reason: string | null;
  cancelled_at: string;
};
/** `position` is the delivered event's position in `$all`, as a decimal string (positions may exceed 2^53). */
export type WebhookDelivered = {
  type: 'WebhookDelivered';
  event_id: string;
  position: string;
  attempts: number;
  delivered_at: string;
};
export type WebhookDeliveryFailed = {
  type: 'WebhookDeliveryFailed';
  event_id: string;
  attempts: number;
  reason: string;
  failed_at: string;
};

export type SubscriptionEvent =
  SubscriptionCreated | SubscriptionCancelled | WebhookDelivered | WebhookDeliveryFailed;

export interface SubscriptionContext {
  id: string;
  event_types: SubscriptionEventType[];
  filter_address: string | null;
  callback_webhook: string | null;
  subscriber_id: string;
  session_id: string | null;
  subscribed_at: string | null;
  /** Delivery resumes after this `$all` position (decimal string); null before the first delivery. */
  last_delivered_position: string | null;
  last_delivered_event_id: string | null;
  last_delivered_at: string | null;
  delivered_count: number;
  failed_count: number;
  /** Failures since the last successful delivery. */
  consecutive_failures: number;
  last_failure: { event_id: string; attempts: number; reason: string; at: string } | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
}

/** Params of `startSubscriptionDelivery`: what the delivery component needs to (re)start after `afterPosition`. */
export interface StartSubscriptionDeliveryParams {
  subscriptionId: string;
  eventTypes: SubscriptionEventType[];
  filterAddress: string | null;
  callbackWebhook: string | null;
  sessionId: string | null;
  afterPosition: string | null;
}

/** True when decimal position `a` comes after `b` (null: before everything). */
export function isAfterPosition(a: string, b: string | null): boolean {
  return b === null || BigInt(a) > BigInt(b);
}

/**
 * A subscription to network events: `none` (only SubscriptionCreated is accepted) → `active` → `cancelled`
 * (final). Delivery outcomes are recorded only for webhook subscriptions, and a delivered position must
 * move forwards.
 */
export const subscriptionMachine = setup({
  types: { context: {} as SubscriptionContext, events: {} as SubscriptionEvent, input: {} as { id: string } },
  guards: {
    deliversToWebhook: ({ context }) => context.callback_webhook !== null,
    movesForward: ({ context, event }) =>
      event.type === 'WebhookDelivered' &&
      context.callback_webhook !== null &&
      isAfterPosition(event.position, context.last_delivered_position),
  },
  actions: {
    /** Effect placeholder: the runtime starts delivering matching events (webhook or MCP session). */
    startSubscriptionDelivery: (_, _params: StartSubscriptionDeliveryParams) => {},
    /** Effect placeholder: the runtime stops delivering. */
    stopSubscriptionDelivery: (_, _params: { subscriptionId: string }) => {},
  },
}).createMachine({
  id: 'subscription',
  context: ({ input }) => ({
    id: input.id,
    event_types: [],
    filter_address: null,
    callback_webhook: null,
    subscriber_id: '',
    session_id: null,
    subscribed_at: null,
    last_delivered_position: null,
    last_delivered_event_id: null,
    last_delivered_at: null,
    delivered_count: 0,
    failed_count: 0,
    consecutive_failures: 0,
    last_failure: null,
    cancelled_at: null,
    cancel_reason: null,
  }),
  initial: 'none',
  states: {
    none: {
      on: {
        SubscriptionCreated: {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              event_types: event.event_types,
              filter_address: event.filter_address,
              callback_webhook: event.callback_webhook,
              subscriber_id: event.subscriber_id,
              session_id: event.session_id,
              subscribed_at: event.subscribed_at,
            })),
            {
              type: 'startSubscriptionDelivery',
              params: ({ context }) => ({
                subscriptionId: context.id,
                eventTypes: context.event_types,
                filterAddress: context.filter_address,
                callbackWebhook: context.callback_webhook,
                sessionId: context.session_id,
                afterPosition: context.last_delivered_position,
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        WebhookDelivered: {
          guard: 'movesForward',
          actions: assign(({ context, event }) => ({
            last_delivered_position: event.position,
            last_delivered_event_id: event.event_id,
            last_delivered_at: event.delivered_at,
            delivered_count: context.delivered_count + 1,
            consecutive_failures: 0,
          })),
        },
        WebhookDeliveryFailed: {
          guard: 'deliversToWebhook',
          actions: assign(({ context, event }) => ({
            failed_count: context.failed_count + 1,
            consecutive_failures: context.consecutive_failures + 1,
            last_failure: {
              event_id: event.event_id,
              attempts: event.attempts,
              reason: event.reason,
              at: event.failed_at,
            },
          })),
        },
        SubscriptionCancelled: {
          target: 'cancelled',
          actions: [
            assign(({ event }) => ({ cancelled_at: event.cancelled_at, cancel_reason: event.reason })),
            { type: 'stopSubscriptionDelivery', params: ({ context }) => ({ subscriptionId: context.id }) },
          ],
        },
      },
    },
    cancelled: { type: 'final' },
  },
});

export type SubscriptionMachine = typeof subscriptionMachine;
