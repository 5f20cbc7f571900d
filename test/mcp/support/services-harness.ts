import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer } from '../../../src/mcp/create-mcp-server.js';
import { type McpServices, startMcpServices } from '../../../src/mcp/subscriptions/mcp-services.js';
import {
  type BzzzEventPayload,
  bzzzEventNotificationSchema,
} from '../../../src/mcp/subscriptions/notification.js';
import type { WebhookDeliveryOutcome } from '../../../src/mcp/subscriptions/subscription-dispatcher.js';
import type { WebhookSettings } from '../../../src/mcp/subscriptions/webhook-sender.js';
import { startMcpHarness } from '../../support/mcp-harness.js';
import { Waitable } from './waitable.js';

export interface ServicesHarnessOptions {
  webhooks?: Partial<Omit<WebhookSettings, 'signingKey'>>;
}

/**
 * The MCP harness (temp store, actors, projections) plus the node-wide MCP services: subscriptions,
 * webhooks, replay, resource subscriptions. Webhook backoff is short so retries take milliseconds.
 */
export async function startServicesHarness(options: ServicesHarnessOptions = {}) {
  const base = await startMcpHarness();
  const signingKey = new Uint8Array(randomBytes(32));
  const outcomes = new Waitable<WebhookDeliveryOutcome>();
  const errors: unknown[] = [];
  const start = () =>
    startMcpServices(base.context, {
      store: base.store,
      webhooks: {
        signingKey,
        initialBackoffMs: 5,
        maxBackoffMs: 20,
        timeoutMs: 2000,
        maxAttempts: 3,
        ...options.webhooks,
      },
      onError: (error) => errors.push(error),
      onWebhookOutcome: (outcome) => outcomes.push(outcome),
    });
  let services: McpServices = start();
  const clients: Client[] = [];

  async function connect(name = 'test-client') {
    const server = createMcpServer(base.context, services);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name, version: '1.0.0' });
    await client.connect(clientTransport);
    clients.push(client);
    return client;
  }

  return {
    ...base,
    signingKey,
    outcomes,
    errors,
    get services() {
      return services;
    },
    connect,
    /** Stops the node-wide services (as a node stop would) and starts them again on the same store. */
    async restartServices() {
      await services.close();
      services = start();
    },
    async stopServices() {
      await services.close();
    },
    startServices() {
      services = start();
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await services.close();
      await base.close();
    },
  };
}

export type ServicesHarness = Awaited<ReturnType<typeof startServicesHarness>>;

/** The bzzz event notifications a client receives, to wait on. */
export function collectEvents(client: Client): Waitable<BzzzEventPayload> {
  const events = new Waitable<BzzzEventPayload>();
  client.setNotificationHandler(bzzzEventNotificationSchema, (notification) => {
    events.push(notification.params as BzzzEventPayload);
  });
  return events;
}
