import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { parseAddress } from '../../actors/address.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { SUBSCRIPTION_EVENT_TYPES } from '../../actors/subscription/subscription-machine.js';
import type { JsonObject } from '../../events/json.js';
import type { McpContext } from '../mcp-context.js';
import type { McpServices } from '../subscriptions/mcp-services.js';
import type { McpSession } from '../subscriptions/mcp-session.js';
import { BZZZ_EVENT_NOTIFICATION } from '../subscriptions/notification.js';
import { requireAllowedWebhook, SIGNATURE_HEADER, webhookSecret } from '../subscriptions/webhook-policy.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { newToolId } from './ids.js';
import { positionSchema } from './schemas.js';

const inputSchema = {
  event_types: z
    .array(z.enum(SUBSCRIPTION_EVENT_TYPES))
    .min(1)
    .max(SUBSCRIPTION_EVENT_TYPES.length * 2)
    .describe(`Events wanted: ${SUBSCRIPTION_EVENT_TYPES.join(', ')}`),
  filter_address: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('Only events about agents (or threads whose participants) match this bzzz:// address pattern'),
  callback_webhook: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .describe('POST each event here (signed; hosts on the operator allowlist only, loopback by default)'),
  subscriber: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe('Who subscribes (an agent id); default the MCP client'),
  notify_session: z
    .boolean()
    .default(true)
    .describe(`Send ${BZZZ_EVENT_NOTIFICATION} notifications to this session while it is connected`),
};

const outputSchema = {
  success: z.literal(true),
  subscription_id: z.string(),
  event_types: z.array(z.enum(SUBSCRIPTION_EVENT_TYPES)),
  filter_address: z.string().nullable(),
  callback_webhook: z.string().nullable(),
  subscriber: z.string(),
  subscribed_at: z.string(),
  status: z.literal('active'),
  notification_method: z.string().nullable(),
  webhook: z
    .object({ secret: z.string(), signature_header: z.string(), algorithm: z.literal('hmac-sha256') })
    .nullable(),
  position: positionSchema,
};

/**
 * bzzz_subscribe: a subscription actor that receives the chosen events, as MCP notifications to this
 * session and/or signed webhook POSTs. The webhook secret is in this answer only.
 */
export function registerSubscribe(
  server: McpServer,
  context: McpContext,
  services: McpServices,
  session: McpSession,
  owner: () => string | undefined,
): void {
  server.registerTool(
    'bzzz_subscribe',
    {
      title: 'Subscribe to events',
      description: `Subscribe to network events (${SUBSCRIPTION_EVENT_TYPES.join(', ')}), optionally filtered by a bzzz:// address. Events arrive as ${BZZZ_EVENT_NOTIFICATION} notifications on this session and/or as POSTs to callback_webhook signed with ${SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of the raw body with the secret returned here, once>.`,
      inputSchema,
      outputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    (args) =>
      runTool(async () => {
        if (args.filter_address !== undefined) parseAddress(args.filter_address);
        if (args.callback_webhook !== undefined)
          requireAllowedWebhook(args.callback_webhook, services.webhooks.allowlist);
        if (!args.notify_session && args.callback_webhook === undefined) {
          throw new DomainError(
            DomainErrorCode.InvalidParameters,
            'nothing would receive the events: give a callback_webhook or keep notify_session',
            { notify_session: false },
          );
        }
        const id = newToolId('sub', context.now());
        const subscriber = args.subscriber ?? owner() ?? 'mcp-client';
        const result = await context.system.send('subscription', id, {
          type: 'Subscribe',
          event_types: args.event_types,
          subscriber_id: subscriber,
          ...(args.filter_address === undefined ? {} : { filter_address: args.filter_address }),
          ...(args.callback_webhook === undefined ? {} : { callback_webhook: args.callback_webhook }),
          ...(args.notify_session ? { session_id: session.id } : {}),
        });
        const state = result.state;
        const spec = {
          id,
          eventTypes: state.event_types as (typeof SUBSCRIPTION_EVENT_TYPES)[number][],
          filterAddress: args.filter_address ?? null,
          callbackWebhook: args.callback_webhook ?? null,
        };
        if (args.notify_session) {
          services.dispatcher.attachSession(spec, session, result.position, (payload) =>
            session.notifyEvent(payload),
          );
        }
        const structured = {
          success: true as const,
          subscription_id: id,
          event_types: spec.eventTypes,
          filter_address: spec.filterAddress,
          callback_webhook: spec.callbackWebhook,
          subscriber,
          subscribed_at: String(state.subscribed_at),
          status: 'active' as const,
          notification_method: args.notify_session ? BZZZ_EVENT_NOTIFICATION : null,
          webhook:
            args.callback_webhook === undefined
              ? null
              : {
                  secret: webhookSecret(services.webhooks.signingKey, id),
                  signature_header: SIGNATURE_HEADER,
                  algorithm: 'hmac-sha256' as const,
                },
          position: result.position?.toString() ?? null,
        } satisfies JsonObject;
        return toolSuccess(structured, `Subscription ${id} active`);
      }),
  );
}
