import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import type { McpContext } from '../../src/mcp/mcp-context.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { tempStore } from './temp-store.js';

/**
 * A bzzz MCP server on a temp store with every projection running, and a way to connect real SDK
 * clients to it through linked in-memory transports.
 */
export async function startMcpHarness() {
  const temp = tempStore('bzzz-mcp-');
  const store = temp.open();
  const system = new ActorSystem({ store, kinds: actorKinds });
  const readModel = openReadModelDatabase(':memory:');
  const runner = new ProjectionRunner(store, readModel, projections);
  runner.start();
  const context: McpContext = {
    system,
    projections: runner,
    readModel,
    nodeId: '12D3KooWTestNode',
    now: () => Date.now(),
    readYourWritesTimeoutMs: 5000,
  };
  const clients: Client[] = [];

  async function connect(name = 'test-client') {
    const server = createMcpServer(context);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name, version: '1.0.0' });
    await client.connect(clientTransport);
    clients.push(client);
    return client;
  }

  return {
    store,
    system,
    readModel,
    projections: runner,
    context,
    connect,
    /** Another node's connection to the same store file (its events are authored by `nodeId`). */
    openPeerStore: (nodeId: string) => temp.open(nodeId),
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await runner.stop();
      readModel.close();
      await temp.dispose();
    },
  };
}

/** The structured answer of a tool result (the tests read what clients read). */
export function structured(result: unknown): Record<string, unknown> {
  return (result as CallToolResult).structuredContent as Record<string, unknown>;
}
