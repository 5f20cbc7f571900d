import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toParsedAddressJson } from '../../actors/address.js';
import { type LookupMatch, lookupAgents } from '../../projections/lookup/lookup-queries.js';
import { typedOutput } from '../bzzz-mcp-server.js';
import { withJsonFragment } from '../transports/json-fragments.js';
import { type McpContext, readViews } from '../mcp-context.js';
import { runTool, toolSuccessText } from '../tool-result.js';
import { parseAddressOnce } from './parsed-addresses.js';
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
  include_details: z
    .boolean()
    .default(false)
    .describe(
      "Also give each match's status, specialization and project (default: the API reference's fields only, which keeps answers short)",
    ),
};

const matchSchema = z.object({
  id: z.string(),
  role: z.string(),
  capabilities: z.array(z.string()),
  available: z.boolean(),
  performance: z.number(),
  score: z.number(),
  status: z.string().optional().describe('With include_details'),
  specialization: z.string().optional().describe('With include_details'),
  project: z.string().nullable().optional().describe('With include_details'),
  node_id: z
    .string()
    .optional()
    .describe('The node the agent was announced on, when it is not the node answering'),
});

const outputSchema = {
  success: z.literal(true),
  address: z.string(),
  parsed_address: parsedAddressSchema,
  matches: z.array(matchSchema),
  count: z.number(),
  /** The node answering: every match without a node_id lives here. */
  node_id: z.string(),
  query_time: z.string(),
};

/**
 * bzzz_lookup: agents matching a semantic address and the filter criteria, best first. The score
 * (0-100) is 60 × performance + 25 × available + 15 × free task slots.
 */
export function registerLookup(server: McpServer, context: McpContext): void {
  typedOutput(server, 'bzzz_lookup');
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
        const address = parseAddressOnce(args.semantic_address);
        await readViews(context, ['lookup']);
        const matches = lookupAgents(context.readModel, address, args.filter_criteria ?? {}, args.limit);
        const answer = rendered(matches, context.nodeId, args.include_details);
        const structured: LookupOutput = {
          success: true,
          address: args.semantic_address,
          parsed_address: toParsedAddressJson(address),
          matches: answer.matches,
          count: matches.length,
          node_id: context.nodeId,
          query_time: new Date(context.now()).toISOString(),
        };
        return toolSuccessText(
          structured,
          `${matches.length} agent(s) match ${args.semantic_address}${answer.listing}`,
        );
      }),
  );
}

type MatchJson = z.infer<typeof matchSchema>;
/** What the handler answers: the compiler holds it to the output schema (see typedOutput). */
type LookupOutput = z.infer<z.ZodObject<typeof outputSchema>>;

/** The matches as the answer has them, and their listing for the text. */
interface Rendered {
  matches: MatchJson[];
  listing: string;
}

/**
 * lookupAgents answers the same frozen array for the same query while no agent changes: what the
 * answer makes of it is kept beside it, and the answer's form of each match beside the match (one
 * form with the details, one without).
 */
const renderings = [
  new WeakMap<readonly LookupMatch[], Rendered>(),
  new WeakMap<readonly LookupMatch[], Rendered>(),
];
const matchJsons = [new WeakMap<LookupMatch, MatchJson>(), new WeakMap<LookupMatch, MatchJson>()];

function rendered(matches: readonly LookupMatch[], localNode: string, details: boolean): Rendered {
  const kept = renderings[details ? 1 : 0]!;
  let rendering = kept.get(matches);
  if (rendering === undefined) {
    // Shared by every answer to this query: nobody may change it, and transports send its kept JSON.
    // (A read model, and so its matches, belongs to one node: `localNode` is the same for all of them.)
    const json = withJsonFragment(Object.freeze(matches.map((m) => matchJson(m, localNode, details))));
    rendering = { matches: json as MatchJson[], listing: listing(matches) };
    kept.set(matches, rendering);
  }
  return rendering;
}

/** A match as the answer has it: `node_id` only for an agent of another node (the answer names its own). */
function matchJson(m: LookupMatch, localNode: string, details: boolean): MatchJson {
  const kept = matchJsons[details ? 1 : 0]!;
  let json = kept.get(m);
  if (json === undefined) {
    json = {
      id: m.id,
      role: m.role,
      capabilities: m.capabilities,
      available: m.available,
      performance: m.performance,
      score: m.score,
      ...(details ? { status: m.status, specialization: m.specialization, project: m.project } : {}),
      ...(m.node_id === localNode ? {} : { node_id: m.node_id }),
    };
    // Shared by every answer that names this match: nobody may change it.
    Object.freeze(json);
    kept.set(m, json);
  }
  return json;
}

/**
 * For the text, for clients that read only text: the matches' ids with their scores, best first
 * (every other field is in the structured content). Joined, not concatenated: the listing is kept and
 * sent with every answer to its query, and a string built by `+=` is a chain of pieces that each
 * serialization of an answer walks again (measured: 2.3 µs per serialization, 1.6 joined).
 */
function listing(matches: readonly LookupMatch[]): string {
  if (matches.length === 0) return '';
  return `, best first: ${matches.map((m) => `${m.id} (${m.score})`).join(', ')}`;
}
