import { z } from 'zod';
import type { JsonObject, JsonValue } from '../../events/json.js';
import type { RecordedEvent } from '../../events/types.js';
import type { SubscriptionEventType } from '../../actors/subscription/subscription-machine.js';
import { SUBSCRIPTION_EVENT_TYPES } from '../../actors/subscription/subscription-machine.js';

/** The MCP notification a subscribed session receives for each matching event. */
export const BZZZ_EVENT_NOTIFICATION = 'notifications/bzzz/event';

/**
 * What a subscriber receives, as MCP notification params and as webhook body alike:
 * `{subscription_id, event_type, event: {id, stream, type, position, data, recorded_at}}`.
 * `event.id` is the event's unique id (dedupe on it: delivery is at least once); `position` is its
 * place in the node's log, a decimal string (positions are 64-bit).
 */
export type BzzzEventPayload = {
  subscription_id: string;
  event_type: SubscriptionEventType;
  event: {
    id: string;
    stream: string;
    type: string;
    position: string;
    data: JsonValue;
    recorded_at: string;
  };
};

export function eventPayload(
  subscriptionId: string,
  eventType: SubscriptionEventType,
  event: RecordedEvent,
): BzzzEventPayload {
  return {
    subscription_id: subscriptionId,
    event_type: eventType,
    event: {
      id: event.id,
      stream: event.stream,
      type: event.type,
      position: event.position.toString(),
      data: event.data,
      recorded_at: event.recordedAt,
    },
  };
}

/** The notification's schema, for clients: `client.setNotificationHandler(bzzzEventNotificationSchema, …)`. */
export const bzzzEventNotificationSchema = z.object({
  method: z.literal(BZZZ_EVENT_NOTIFICATION),
  params: z.object({
    subscription_id: z.string(),
    event_type: z.enum(SUBSCRIPTION_EVENT_TYPES),
    event: z.object({
      id: z.string(),
      stream: z.string(),
      type: z.string(),
      position: z.string(),
      data: z.json(),
      recorded_at: z.string(),
    }),
  }),
});

export type BzzzEventNotification = z.output<typeof bzzzEventNotificationSchema>;

export function payloadJson(payload: BzzzEventPayload): JsonObject {
  return payload as unknown as JsonObject;
}
