import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { BzzzMcpServer } from './bzzz-mcp-server.js';
import type { McpContext } from './mcp-context.js';
import { registerAnnounce } from './tools/bzzz-announce.js';
import { registerGet } from './tools/bzzz-get.js';
import { registerLookup } from './tools/bzzz-lookup.js';

export const SERVER_INFO = { name: 'bzzz', version: '0.1.0' };

/**
 * One MCP server (one per client session): every bzzz tool registered on it. The session's client
 * name becomes the `owner` of the agents it announces.
 */
export function createMcpServer(context: McpContext): McpServer {
  const server = new BzzzMcpServer(SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    instructions:
      'bzzz runs a team of LLM agents as event-sourced actors. Announce agents, look them up by bzzz:// address, and coordinate them in threads.',
    maxToolInputElements: 10_000,
  });
  const owner = () => {
    const client = server.server.getClientVersion();
    return client?.name ? `mcp:${client.name}` : undefined;
  };
  registerAnnounce(server, context, owner);
  registerLookup(server, context);
  registerGet(server, context);
  return server;
}
