import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { parseAddress, toParsedAddressJson } from '../../actors/address.js';
import { lookupAgents } from '../../projections/lookup/lookup-queries.js';
import type { McpContext } from '../mcp-context.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { parsedAddressSchema } from './schemas.js';

const inputSchema = {
  semantic_address: z
    .string()
    .min(1)
    .max(512)
    .describe('bzzz://agent:role@project:task/path; any part may be * or a glob such as arch*'),
  filter_criteria: z
    .object({
      expertise: z.array(z.string().min(1)).max(32).optional().describe('Capabilities every match must have'),
      availability: z.boolean().optional().describe('Only agents that can take a task now'),
      performance_threshold: z.number().min(0).max(1).optional().describe('Minimum performance score (0-1)'),
    })
    .optional(),
  limit: z.number().int().min(1).max(500).default(50).describe('Most matches returned'),
};

const matchSchema = z.object({
  id: z.string(),
  role: z.string(),
  capabilities: z.array(z.string()),
  available: z.boolean(),
  performance: z.number(),
  score: z.number(),
  status: z.string(),
  specialization: z.string(),
  project: z.string().nullable(),
  node_id: z.string(),
});

const outputSchema = {
  success: z.literal(true),
  address: z.string(),
  parsed_address: parsedAddressSchema,
  matches: z.array(matchSchema),
  count: z.number(),
  query_time: z.string(),
};

/**
 * bzzz_lookup: agents matching a semantic address and the filter criteria, best first. The score
 * (0-100) is 60 × performance + 25 × available + 15 × free task slots.
 */
export function registerLookup(server: McpServer, context: McpContext): void {
  server.registerTool(
    'bzzz_lookup',
    {
      title: 'Look up agents',
      description:
        'Discover agents by semantic address (bzzz://agent:role@project:task, * wildcards) and filter criteria (expertise, availability, performance_threshold). Matches are ranked by score.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const address = parseAddress(args.semantic_address);
        const matches = lookupAgents(context.readModel, address, args.filter_criteria ?? {}, args.limit);
        const structured = {
          success: true as const,
          address: args.semantic_address,
          parsed_address: toParsedAddressJson(address),
          matches: matches.map((m) => ({
            id: m.id,
            role: m.role,
            capabilities: m.capabilities,
            available: m.available,
            performance: m.performance,
            score: m.score,
            status: m.status,
            specialization: m.specialization,
            project: m.project,
            node_id: m.node_id,
          })),
          count: matches.length,
          query_time: new Date(context.now()).toISOString(),
        };
        return toolSuccess(structured, `${matches.length} agent(s) match ${args.semantic_address}`);
      }),
  );
}
