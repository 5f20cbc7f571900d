import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { actorKinds } from '../actors/kinds.js';
import { BzzzMcpServer } from './bzzz-mcp-server.js';
import type { McpContext } from './mcp-context.js';
import { registerAgentResource } from './resources/agent-resource.js';
import { registerReportResources } from './resources/report-resources.js';
import { registerResourceSubscriptions } from './resources/resource-subscriptions.js';
import { registerThreadResource } from './resources/thread-resource.js';
import type { McpServices } from './subscriptions/mcp-services.js';
import { McpSession } from './subscriptions/mcp-session.js';
import { registerAnnounce } from './tools/bzzz-announce.js';
import { registerGet } from './tools/bzzz-get.js';
import { registerLookup } from './tools/bzzz-lookup.js';
import { registerPost } from './tools/bzzz-post.js';
import { registerReplay } from './tools/bzzz-replay.js';
import { registerReport } from './tools/bzzz-report.js';
import { registerTask } from './tools/bzzz-task.js';
import { registerSubscribe } from './tools/bzzz-subscribe.js';
import { registerThread } from './tools/bzzz-thread.js';
import { registerUnsubscribe } from './tools/bzzz-unsubscribe.js';

export const SERVER_INFO = { name: 'bzzz', version: '0.1.0' };

/**
 * One MCP server (one per client session): every bzzz tool and resource registered on it. The
 * session's client name becomes the `owner` of the agents it announces.
 *
 * `services` (startMcpServices, one per node) adds what needs the event store and outlives a session:
 * bzzz_subscribe / bzzz_unsubscribe (notifications and webhooks), bzzz_replay, and resource
 * subscriptions (`resources/subscribe`, `notifications/resources/updated`). Without it those are absent.
 */
export function createMcpServer(context: McpContext, services?: McpServices): McpServer {
  const server = new BzzzMcpServer(SERVER_INFO, {
    capabilities: {
      tools: {},
      logging: {},
      resources: services ? { subscribe: true, listChanged: true } : { listChanged: true },
    },
    instructions:
      'bzzz runs a team of LLM agents as event-sourced actors. Announce agents, look them up by bzzz:// address, coordinate them in threads (bzzz_thread), send them messages and tasks (bzzz_post), subscribe to events, replay any actor and read reports.',
    maxToolInputElements: 10_000,
  });
  const owner = () => {
    const client = server.server.getClientVersion();
    return client?.name ? `mcp:${client.name}` : undefined;
  };
  registerAnnounce(server, context, owner);
  registerLookup(server, context);
  registerGet(server, context);
  registerThread(server, context);
  registerPost(server, context, owner);
  registerReport(server, context);
  registerTask(server, context, context.llm);
  registerAgentResource(server, context);
  registerThreadResource(server, context);
  registerReportResources(server, context);
  if (services) {
    const session = new McpSession(server);
    session.onClose(() => services.dispatcher.sessionClosed(session.id));
    registerSubscribe(server, context, services, session, owner);
    registerUnsubscribe(server, context, services);
    registerReplay(server, services.store, actorKinds, context.now);
    registerResourceSubscriptions(server, services.resources, session);
  }
  return server;
}
