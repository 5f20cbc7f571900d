import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { listAgents } from '../../projections/lookup/lookup-list.js';
import { type McpContext, readViews } from '../mcp-context.js';
import { AGENT_URI_TEMPLATE, agentUri, idOf, notFound } from './resource-uris.js';

/** Most agents `resources/list` names (the SDK does not page template listings). */
const LISTED = 500;

/** `bzzz://agents/{id}`: an agent's current state (the actor's view, as bzzz_get shows it), JSON. */
export function registerAgentResource(server: McpServer, context: McpContext): void {
  const template = new ResourceTemplate(AGENT_URI_TEMPLATE, {
    list: async () => {
      await readViews(context, ['lookup']);
      return {
        resources: listAgents(context.readModel, { limit: LISTED }).items.map((agent) => ({
          uri: agentUri(agent.id),
          name: agent.id,
          title: `${agent.id} (${agent.role})`,
          description: `Agent ${agent.id}: ${agent.role}, ${agent.status}`,
          mimeType: 'application/json' as const,
        })),
      };
    },
  });
  server.registerResource(
    'agent',
    template,
    {
      title: 'Agent',
      description:
        "An agent's profile, status, current tasks and recent activity. Subscribe to be told when it changes.",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const id = idOf(uri, variables.id);
      const { exists, state } = await context.system.inspect('agent', id);
      if (!exists) throw notFound(uri.href);
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(state, null, 2) }],
      };
    },
  );
}
