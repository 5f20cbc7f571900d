import { z } from 'zod';
import { SUBSCRIPTION_EVENT_TYPES } from './subscription-machine.js';

const NO_WHITESPACE = /^\S+$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A `bzzz://` address pattern, kept as text: matching is the address module's job. */
export const filterAddressSchema = z
  .string()
  .max(1024)
  .regex(NO_WHITESPACE, 'an address has no whitespace')
  .refine((value) => value.startsWith('bzzz://'), 'an address starts with bzzz://');

export const callbackWebhookSchema = z
  .string()
  .max(2048)
  .refine(isHttpUrl, 'the webhook must be an absolute http or https URL');

/** Subscribe (the actor id is the subscription id). Duplicate event types are dropped, order kept. */
export const subscribeSchema = z.object({
  type: z.literal('Subscribe'),
  event_types: z
    .array(z.enum(SUBSCRIPTION_EVENT_TYPES))
    .min(1)
    .transform((types) => [...new Set(types)]),
  filter_address: filterAddressSchema.optional(),
  callback_webhook: callbackWebhookSchema.optional(),
  subscriber_id: z.string().min(1).max(256),
  session_id: z.string().min(1).max(256).optional(),
});

export const cancelSubscriptionSchema = z.object({
  type: z.literal('CancelSubscription'),
  reason: z.string().min(1).max(10_000).optional(),
});

/** The webhook acknowledged the event at `position` (a decimal `$all` position). */
export const recordWebhookDeliverySchema = z.object({
  type: z.literal('RecordWebhookDelivery'),
  event_id: z.string().min(1).max(256),
  position: z.string().regex(/^(0|[1-9][0-9]{0,39})$/, 'a position is a non-negative decimal integer'),
  attempts: z.number().int().min(1),
});

/** The webhook gave up on an event after `attempts` tries. */
export const recordWebhookFailureSchema = z.object({
  type: z.literal('RecordWebhookFailure'),
  event_id: z.string().min(1).max(256),
  attempts: z.number().int().min(1),
  reason: z.string().min(1).max(10_000),
});

export const subscriptionCommandSchema = z.discriminatedUnion('type', [
  subscribeSchema,
  cancelSubscriptionSchema,
  recordWebhookDeliverySchema,
  recordWebhookFailureSchema,
]);

export type Subscribe = z.output<typeof subscribeSchema>;
export type CancelSubscription = z.output<typeof cancelSubscriptionSchema>;
export type RecordWebhookDelivery = z.output<typeof recordWebhookDeliverySchema>;
export type RecordWebhookFailure = z.output<typeof recordWebhookFailureSchema>;

/** Every command a subscription handles. */
export type SubscriptionCommand = z.output<typeof subscriptionCommandSchema>;
export type SubscriptionCommandInput = z.input<typeof subscriptionCommandSchema>;
