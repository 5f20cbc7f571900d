import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpSession } from '../subscriptions/mcp-session.js';
import type { ResourceChangeFeed } from './resource-change-feed.js';
import { isResourceUri } from './resource-uris.js';

/**
 * `resources/subscribe` and `resources/unsubscribe` for one session (McpServer does not wire them):
 * a subscribed resource gets `notifications/resources/updated` when the feed reports it changed, and
 * every session gets `notifications/resources/list_changed` when an agent or thread is added.
 */
export function registerResourceSubscriptions(
  server: McpServer,
  feed: ResourceChangeFeed,
  session: McpSession,
  onError: (error: unknown) => void = (error) => console.error('bzzz: resource notification:', error),
): void {
  const subscribed = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    const { uri } = request.params;
    if (!isResourceUri(uri)) {
      throw new McpError(ErrorCode.InvalidParams, `cannot subscribe to ${uri}: not a bzzz resource`, { uri });
    }
    if (!subscribed.has(uri)) {
      subscribed.add(uri);
      feed.watch(uri);
    }
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    if (subscribed.delete(request.params.uri)) feed.unwatch(request.params.uri);
    return {};
  });
  const stop = feed.listen((change) => {
    if (!session.connected) return;
    for (const uri of change.uris) {
      if (subscribed.has(uri)) server.server.sendResourceUpdated({ uri }).catch(onError);
    }
    if (change.listChanged) server.sendResourceListChanged();
  });
  session.onClose(() => {
    stop();
    for (const uri of subscribed) feed.unwatch(uri);
    subscribed.clear();
  });
}
