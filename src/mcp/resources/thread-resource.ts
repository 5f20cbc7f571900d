import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { listThreads } from '../../projections/threads/threads-queries.js';
import { type McpContext, readViews } from '../mcp-context.js';
import { idOf, notFound, THREAD_URI_TEMPLATE, threadUri } from './resource-uris.js';

/** Most threads `resources/list` names: the most recently active ones. */
const LISTED = 500;

/** `bzzz://threads/{id}`: a thread's current state with its last 50 messages, JSON. */
export function registerThreadResource(server: McpServer, context: McpContext): void {
  const template = new ResourceTemplate(THREAD_URI_TEMPLATE, {
    list: async () => {
      await readViews(context, ['threads']);
      return {
        resources: listThreads(context.readModel, { limit: LISTED }).items.map((thread) => ({
          uri: threadUri(thread.id),
          name: thread.id,
          title: thread.topic,
          description: `Thread ${thread.id} (${thread.status}, ${thread.message_count} messages)`,
          mimeType: 'application/json' as const,
        })),
      };
    },
  });
  server.registerResource(
    'thread',
    template,
    {
      title: 'Thread',
      description:
        'A conversation thread: participants, latest messages, decisions, votes, escalations, summary. Subscribe to be told when it changes.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const id = idOf(uri, variables.id);
      const { exists, state } = await context.system.inspect('thread', id);
      if (!exists) throw notFound(uri.href);
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(state, null, 2) }],
      };
    },
  );
}
