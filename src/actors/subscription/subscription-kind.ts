import type { SnapshotFrom } from 'xstate';
import type { JsonObject } from '../../events/json.js';
import { type ActorKind, type DecideContext, isoNow } from '../actor-kind.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import { type SubscriptionCommand, subscriptionCommandSchema } from './subscription-commands.js';
import {
  isAfterPosition,
  type SubscriptionCreated,
  type SubscriptionEvent,
  type SubscriptionMachine,
  subscriptionMachine,
} from './subscription-machine.js';

export type SubscriptionState = SnapshotFrom<SubscriptionMachine>;
/** `none`: the subscription does not exist (never created). */
export type SubscriptionStatus = 'none' | 'active' | 'cancelled';

export function subscriptionStatus(state: SubscriptionState): SubscriptionStatus {
  if (state.matches('active')) return 'active';
  return state.matches('cancelled') ? 'cancelled' : 'none';
}

/**
 * A subscription to network events, in stream `subscription-<id>`.
 *
 * - Subscribe creates it. Subscribing again with the same parameters is a no-op (a retried tool call);
 *   with other parameters, or after cancellation, it is INVALID_TRANSITION (ids come from the tool and
 *   are not reused).
 * - Every other command on a subscription that was never created is SUBSCRIPTION_NOT_FOUND.
 * - CancelSubscription is idempotent: cancelling a cancelled subscription is a no-op.
 * - Delivery outcomes are at-least-once reports from the webhook sender: a delivery at or before the last
 *   delivered position, a failure of the last delivered event, and any outcome after cancellation are
 *   no-ops. Outcomes for a subscription without `callback_webhook` are INVALID_TRANSITION.
 *
 * Effects: `startSubscriptionDelivery` (StartSubscriptionDeliveryParams) on creation and
 * `stopSubscriptionDelivery` ({subscriptionId}) on cancellation. No deadlines.
 */
export const subscriptionKind: ActorKind<SubscriptionMachine, SubscriptionCommand> = {
  category: 'subscription',
  machine: subscriptionMachine,
  version: 1,
  commandSchema: subscriptionCommandSchema,
  input: (id) => ({ id }),
  decide: decideSubscription,
  view: subscriptionView,
};

export function decideSubscription(
  state: SubscriptionState,
  command: SubscriptionCommand,
  context: DecideContext,
): SubscriptionEvent[] {
  const at = isoNow(context);
  const subscription = state.context;
  const status = subscriptionStatus(state);
  if (command.type === 'Subscribe') {
    const created: SubscriptionCreated = {
      type: 'SubscriptionCreated',
      subscription_id: subscription.id,
      event_types: command.event_types,
      filter_address: command.filter_address ?? null,
      callback_webhook: command.callback_webhook ?? null,
      subscriber_id: command.subscriber_id,
      session_id: command.session_id ?? null,
      subscribed_at: at,
    };
    if (status === 'none') return [created];
    if (status === 'active' && sameSubscription(subscription, created)) return [];
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      status === 'active'
        ? `subscription ${subscription.id} already exists with other parameters`
        : `subscription ${subscription.id} was cancelled; subscription ids are not reused`,
      { subscription_id: subscription.id, status },
    );
  }
  if (status === 'none') {
    throw new DomainError(
      DomainErrorCode.SubscriptionNotFound,
      `subscription ${subscription.id} does not exist`,
      { subscription_id: subscription.id },
    );
  }
  if (status === 'cancelled') return [];
  if (command.type === 'CancelSubscription') {
    return [{ type: 'SubscriptionCancelled', reason: command.reason ?? null, cancelled_at: at }];
  }
  if (subscription.callback_webhook === null) {
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      `subscription ${subscription.id} has no callback_webhook: ${command.type} refused`,
      { subscription_id: subscription.id },
    );
  }
  if (command.type === 'RecordWebhookDelivery') {
    if (!isAfterPosition(command.position, subscription.last_delivered_position)) return [];
    return [
      {
        type: 'WebhookDelivered',
        event_id: command.event_id,
        position: command.position,
        attempts: command.attempts,
        delivered_at: at,
      },
    ];
  }
  if (command.event_id === subscription.last_delivered_event_id) return [];
  return [
    {
      type: 'WebhookDeliveryFailed',
      event_id: command.event_id,
      attempts: command.attempts,
      reason: command.reason,
      failed_at: at,
    },
  ];
}

function sameSubscription(subscription: SubscriptionState['context'], created: SubscriptionCreated): boolean {
  return (
    [...subscription.event_types].sort().join() === [...created.event_types].sort().join() &&
    subscription.filter_address === created.filter_address &&
    subscription.callback_webhook === created.callback_webhook &&
    subscription.subscriber_id === created.subscriber_id &&
    subscription.session_id === created.session_id
  );
}

/** The seed's BzzzSubscription fields (snake_case), the status and the delivery cursor. */
export function subscriptionView(state: SubscriptionState): JsonObject {
  const subscription = state.context;
  return {
    id: subscription.id,
    event_types: subscription.event_types,
    filter_address: subscription.filter_address,
    callback_webhook: subscription.callback_webhook,
    subscriber_id: subscription.subscriber_id,
    session_id: subscription.session_id,
    subscribed_at: subscription.subscribed_at,
    status: subscriptionStatus(state),
    last_delivered_position: subscription.last_delivered_position,
    last_delivered_event_id: subscription.last_delivered_event_id,
    last_delivered_at: subscription.last_delivered_at,
    delivered_count: subscription.delivered_count,
    failed_count: subscription.failed_count,
    consecutive_failures: subscription.consecutive_failures,
    last_failure: subscription.last_failure ? { ...subscription.last_failure } : null,
    cancelled_at: subscription.cancelled_at,
    cancel_reason: subscription.cancel_reason,
  };
}
