import { type BzzzConfig, withListenOverrides } from '../config/config.js';
import { RequestCounter, startHttpServer } from '../http/http-server.js';
import { mcpRoutes, protectRoutes } from '../http/mcp-routes.js';
import { buildRestRoutes } from '../http/rest-routes.js';
import { requireTokenBeyondLoopback } from '../mcp/security/bearer-token.js';
import {
  createMcpEndpoints,
  MCP_HTTP_PATH,
  MCP_WEBSOCKET_PATH,
  type McpEndpoints,
} from '../mcp/transports/mcp-endpoints.js';
import { type NodeMcp, startNodeMcp } from '../mcp/transports/node-context.js';
import { startBzzzNode } from '../node/bzzz-node.js';
import { parseFlags } from './flags.js';

/**
 * `bzzz serve [--host H] [--port P]`: starts the node (store, actors, projections) and its HTTP server
 * (REST API, MCP Streamable HTTP at /mcp, MCP WebSocket at /mcp/ws), runs until SIGINT/SIGTERM, then
 * ends the MCP sessions and closes the server and the node cleanly.
 */
export async function serve(config: BzzzConfig, args: readonly string[] = []): Promise<number> {
  const flags = parseFlags('serve', args, { host: 'value', port: 'value' });
  const effective = withListenOverrides(config, flags);
  // Beyond loopback without a token anyone who reaches the port drives the agents: refuse to start.
  requireTokenBeyondLoopback(effective.host, effective.token);
  // Listen for signals before saying we are up, so a supervisor that reacts to the line can stop us.
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const node = startBzzzNode(effective);
    let nodeMcp: NodeMcp | undefined;
    let mcp: McpEndpoints | undefined;
    let http;
    try {
      nodeMcp = startNodeMcp(node);
      mcp = createMcpEndpoints({
        createServer: nodeMcp.createServer,
        host: effective.host,
        token: effective.token,
        limits: effective.mcp,
      });
      const counter = new RequestCounter();
      const rest = buildRestRoutes(node, {
        storeKind: effective.store.kind,
        requestCounts: () => counter.snapshot(),
        // The budget shown is the one the LLM guard enforces (no limit: Infinity, shown as null).
        costConfig: {
          dailyLimit: effective.llm.limits.dailyUsd ?? Number.POSITIVE_INFINITY,
          monthlyLimit: effective.llm.limits.monthlyUsd ?? Number.POSITIVE_INFINITY,
          warningThreshold: effective.llm.warningThreshold,
        },
      });
      http = await startHttpServer({
        host: effective.host,
        port: effective.port,
        counter,
        routes: [...protectRoutes(rest, mcp.security), ...mcpRoutes(mcp)],
        onUpgrade: mcp.handleUpgrade,
      });
    } catch (error) {
      await mcp?.close();
      await nodeMcp?.close();
      await node.close();
      throw error;
    }
    const where =
      effective.store.kind === 'sqlite' ? `embedded store at ${effective.store.path}` : 'KurrentDB store';
    console.log(`bzzz: node ${node.identity.nodeId} serving ${http.url} (${where})`);
    const wsUrl = http.url.replace(/^http:/, 'ws:');
    const auth = mcp.security.requiresToken ? ', bearer token required' : '';
    console.log(`bzzz: MCP at ${http.url}${MCP_HTTP_PATH} and ${wsUrl}${MCP_WEBSOCKET_PATH}${auth}`);
    const signal = await stopped;
    await mcp.close();
    await http.close();
    await nodeMcp.close();
    await node.close();
    console.log(`bzzz: ${signal} received, store closed`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
