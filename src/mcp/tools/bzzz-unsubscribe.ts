import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { JsonObject } from '../../events/json.js';
import type { McpContext } from '../mcp-context.js';
import type { McpServices } from '../subscriptions/mcp-services.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { actorIdSchema } from './actor-ids.js';
import { positionSchema } from './schemas.js';

const inputSchema = {
  subscription_id: actorIdSchema.describe('The id bzzz_subscribe returned'),
  reason: z.string().min(1).max(10_000).optional(),
};

const outputSchema = {
  success: z.literal(true),
  subscription_id: z.string(),
  status: z.literal('cancelled'),
  cancelled_at: z.string(),
  changed: z.boolean(),
  position: positionSchema,
};

/** bzzz_unsubscribe: cancels a subscription; its deliveries stop. Cancelling twice changes nothing. */
export function registerUnsubscribe(server: McpServer, context: McpContext, services: McpServices): void {
  server.registerTool(
    'bzzz_unsubscribe',
    {
      title: 'Cancel a subscription',
      description:
        'Cancel a subscription made with bzzz_subscribe: no more notifications or webhook deliveries. Unknown ids are SUBSCRIPTION_NOT_FOUND.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const result = await context.system.send('subscription', args.subscription_id, {
          type: 'CancelSubscription',
          ...(args.reason === undefined ? {} : { reason: args.reason }),
        });
        await services.dispatcher.detach(args.subscription_id);
        const structured = {
          success: true as const,
          subscription_id: args.subscription_id,
          status: 'cancelled' as const,
          cancelled_at: String(result.state.cancelled_at),
          changed: result.events.length > 0,
          position: result.position?.toString() ?? null,
        } satisfies JsonObject;
        return toolSuccess(structured, `Subscription ${args.subscription_id} cancelled`);
      }),
  );
}
