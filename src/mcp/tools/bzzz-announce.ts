import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { KNOWN_ROLES } from '../../actors/agent/agent-events.js';
import type { JsonObject } from '../../events/json.js';
import { sendCommand, type McpContext } from '../mcp-context.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { agentSummarySchema, positionSchema } from './schemas.js';

const inputSchema = {
  agent_id: z.string().min(1).max(128).describe('Unique agent id: letters, digits, ".", "_", "-"'),
  role: z
    .string()
    .min(1)
    .max(64)
    .describe(`The agent's primary role: ${KNOWN_ROLES.join(', ')}, or a custom lower-case role`),
  capabilities: z.array(z.string().min(1).max(128)).max(64).optional().describe('What the agent can do'),
  specialization: z.string().max(256).optional().describe("The agent's area of expertise"),
  max_tasks: z.number().int().min(1).max(100).default(3).describe('Maximum concurrent tasks'),
  model: z.string().min(1).max(128).optional().describe('LLM model for this agent (overrides the default)'),
  system_prompt: z.string().max(100_000).optional(),
  project: z.string().min(1).max(128).optional().describe('Project the agent works on (address part)'),
};

const outputSchema = {
  success: z.literal(true),
  message: z.string(),
  agent: agentSummarySchema,
  created: z.boolean(),
  position: positionSchema,
};

/**
 * bzzz_announce: announce an agent (or update its profile: only the client that announced it may).
 * The answer comes once the lookup view has the agent, so a following bzzz_lookup finds it.
 */
export function registerAnnounce(
  server: McpServer,
  context: McpContext,
  owner: () => string | undefined,
): void {
  server.registerTool(
    'bzzz_announce',
    {
      title: 'Announce an agent',
      description:
        'Announce an agent with its role and capabilities on the bzzz network. Announcing an existing id updates its profile when the same client announced it, and fails with AGENT_EXISTS otherwise.',
      inputSchema,
      outputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args) =>
      runTool(async () => {
        const clientOwner = owner();
        const command = {
          type: 'AnnounceAgent',
          role: args.role,
          capabilities: args.capabilities ?? [],
          specialization: args.specialization ?? '',
          max_tasks: args.max_tasks,
          ...(args.model ? { model: args.model } : {}),
          ...(args.system_prompt ? { system_prompt: args.system_prompt } : {}),
          ...(args.project ? { project: args.project } : {}),
          ...(clientOwner ? { owner: clientOwner } : {}),
        };
        const result = await sendCommand(context, 'agent', args.agent_id, command);
        const agent = result.state;
        const structured = {
          success: true as const,
          message: `Agent ${args.agent_id} (${args.role}) announced to BZZZ network`,
          agent: {
            id: String(agent.id),
            role: String(agent.role),
            capabilities: agent.capabilities as string[],
            specialization: String(agent.specialization),
            status: String(agent.status),
            available: Boolean(agent.available),
            performance: Number(agent.performance),
            max_tasks: Number(agent.max_tasks),
            project: (agent.project as string | null) ?? null,
          },
          created: result.events.some((event) => event.type === 'AgentAnnounced'),
          position: result.position?.toString() ?? null,
        } satisfies JsonObject;
        return toolSuccess(structured, structured.message);
      }),
  );
}
