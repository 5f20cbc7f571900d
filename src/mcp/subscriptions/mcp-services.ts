import type { EventStore } from '../../events/event-store.js';
import type { McpContext } from '../mcp-context.js';
import { ResourceChangeFeed } from '../resources/resource-change-feed.js';
import { SubscriptionDispatcher, type WebhookDeliveryOutcome } from './subscription-dispatcher.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './webhook-sender.js';

export interface McpServicesOptions {
  /** The node's event store (subscriptions, replay and resource updates follow `$all`). */
  store: EventStore;
  /** The signing key (see webhookSigningKeyFromIdentity) and any setting to change from the defaults. */
  webhooks: Partial<WebhookSettings> & { signingKey: Uint8Array };
  onError?: (error: unknown) => void;
  onWebhookOutcome?: (outcome: WebhookDeliveryOutcome) => void;
}

/**
 * The node-wide parts of the MCP server that outlive a session: subscription delivery (MCP
 * notifications and webhooks) and the resource change feed. Start once per node, hand to every
 * `createMcpServer`, close before the store.
 */
export interface McpServices {
  store: EventStore;
  webhooks: WebhookSettings;
  dispatcher: SubscriptionDispatcher;
  resources: ResourceChangeFeed;
  close(): Promise<void>;
}

export function startMcpServices(context: McpContext, options: McpServicesOptions): McpServices {
  const webhooks: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, ...definedOnly(options.webhooks) };
  const onError = options.onError ?? ((error: unknown) => console.error('bzzz: MCP services:', error));
  const dispatcher = new SubscriptionDispatcher({
    store: options.store,
    system: context.system,
    readModel: context.readModel,
    webhooks,
    onError,
    ...(options.onWebhookOutcome ? { onWebhookOutcome: options.onWebhookOutcome } : {}),
  });
  const resources = new ResourceChangeFeed(options.store, context.projections, {
    timeoutMs: context.readYourWritesTimeoutMs,
    onError,
  });
  dispatcher.start();
  resources.start();
  return {
    store: options.store,
    webhooks,
    dispatcher,
    resources,
    async close() {
      await Promise.all([dispatcher.stop(), resources.stop()]);
    },
  };
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
