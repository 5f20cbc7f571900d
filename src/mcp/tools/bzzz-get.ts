import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { parseAddress } from '../../actors/address.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import type { JsonObject } from '../../events/json.js';
import type { McpContext } from '../mcp-context.js';
import { runTool, toolSuccess } from '../tool-result.js';

const inputSchema = {
  address: z
    .string()
    .min(1)
    .max(512)
    .describe('bzzz:// address naming one agent, e.g. bzzz://architect-001:architect@myproject'),
  include_metadata: z.boolean().default(true),
  max_history: z.number().int().min(0).max(100).default(10).describe('Most recent finished tasks returned'),
};

const outputSchema = {
  success: z.literal(true),
  address: z.string(),
  content: z.object({
    agent_info: z.record(z.string(), z.unknown()),
    recent_activity: z.array(z.record(z.string(), z.unknown())),
    current_tasks: z.array(z.record(z.string(), z.unknown())),
  }),
  metadata: z
    .object({ last_updated: z.string(), content_type: z.string(), version: z.string(), revision: z.number() })
    .optional(),
  retrieved_at: z.string(),
};

/** bzzz_get: the current state of the agent an address names, read from the actor itself. */
export function registerGet(server: McpServer, context: McpContext): void {
  server.registerTool(
    'bzzz_get',
    {
      title: 'Get an agent',
      description:
        'Retrieve the content at a bzzz address naming one agent: its profile, status, current tasks and recent activity.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const address = parseAddress(args.address);
        const agentId = address.agent;
        if (agentId === null || agentId.includes('*')) {
          throw new DomainError(
            DomainErrorCode.InvalidParameters,
            `bzzz_get needs an address naming one agent, not a pattern: ${args.address}`,
            { address: args.address },
          );
        }
        const { exists, revision, state } = await context.system.inspect('agent', agentId);
        if (!exists) {
          throw new DomainError(DomainErrorCode.AgentNotFound, `agent ${agentId} was never announced`, {
            agent_id: agentId,
          });
        }
        const { current_tasks, recent_activity, ...info } = state;
        const structured: JsonObject = {
          success: true,
          address: args.address,
          content: {
            agent_info: info,
            recent_activity: (recent_activity as JsonObject[]).slice(-args.max_history).reverse(),
            current_tasks: current_tasks as JsonObject[],
          },
          retrieved_at: new Date(context.now()).toISOString(),
        };
        if (args.include_metadata) {
          structured.metadata = {
            last_updated: String(state.last_activity),
            content_type: 'agent_data',
            version: '1.0',
            revision,
          };
        }
        return toolSuccess(structured);
      }),
  );
}
