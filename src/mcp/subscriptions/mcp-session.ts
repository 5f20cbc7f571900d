import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { BZZZ_EVENT_NOTIFICATION, type BzzzEventPayload } from './notification.js';

/**
 * One client session of the MCP server: an id for the subscriptions it makes, the way to notify it,
 * and hooks for when it closes.
 */
export class McpSession {
  readonly id = randomUUID();
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(readonly server: McpServer) {
    const previous = server.server.onclose;
    server.server.onclose = () => {
      this.#closed = true;
      previous?.();
      for (const handler of this.#onClose.splice(0)) handler();
    };
  }

  /** The session has ended (its close handlers have run, or are running). */
  get closed(): boolean {
    return this.#closed;
  }

  get connected(): boolean {
    return this.server.isConnected();
  }

  onClose(handler: () => void): void {
    this.#onClose.push(handler);
  }

  /** Sends `notifications/bzzz/event`; nothing when the session is gone. */
  async notifyEvent(payload: BzzzEventPayload): Promise<void> {
    if (!this.connected) return;
    // A custom notification: the SDK's notification union does not name it.
    const notification = {
      method: BZZZ_EVENT_NOTIFICATION,
      params: payload,
    } as unknown as ServerNotification;
    await this.server.server.notification(notification);
  }
}
