import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { BzzzNode } from '../../node/bzzz-node.js';
import { createMcpServer } from '../create-mcp-server.js';
import type { McpContext } from '../mcp-context.js';
import { type McpServices, startMcpServices } from '../subscriptions/mcp-services.js';
import { webhookSigningKeyFromIdentity } from '../subscriptions/webhook-policy.js';

/** How long a tool waits for the read models to show its own command before it answers anyway. */
export const READ_YOUR_WRITES_TIMEOUT_MS = 10_000;

/** What the MCP tools of a running node use: its actors, its projections and its clock. */
export function mcpContextFor(node: BzzzNode): McpContext {
  const system = node.actors.system;
  return {
    system,
    projections: node.projections,
    readModel: node.readModel,
    nodeId: node.identity.nodeId,
    now: () => system.clock.now(),
    readYourWritesTimeoutMs: READ_YOUR_WRITES_TIMEOUT_MS,
    llm: node.llm,
  };
}

/** The MCP side of a node, shared by every session of every transport. */
export interface NodeMcp {
  context: McpContext;
  /** Subscriptions, webhooks, replay and resource updates: one per node, outliving sessions. */
  services: McpServices;
  /** A fresh McpServer for one session, with every tool and resource. */
  createServer(): McpServer;
  /** Stops the services; call after the sessions ended and before the node closes. */
  close(): Promise<void>;
}

/** Starts the node-wide MCP services (webhooks signed with a key derived from the node identity). */
export function startNodeMcp(node: BzzzNode, options: { onError?: (error: unknown) => void } = {}): NodeMcp {
  const context = mcpContextFor(node);
  const services = startMcpServices(context, {
    store: node.store,
    webhooks: { signingKey: webhookSigningKeyFromIdentity(node.identity) },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    context,
    services,
    createServer: () => createMcpServer(context, services),
    close: () => services.close(),
  };
}
