import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type WebSocket, WebSocketServer } from 'ws';
import { type McpSecurity, refuseUpgrade } from '../security/mcp-security.js';
import { type SessionSlots, TOO_MANY_SESSIONS } from './session-slots.js';
import { CloseCode, MCP_SUBPROTOCOL, WebSocketServerTransport } from './websocket-server-transport.js';

export interface WebSocketEndpointOptions {
  /** The path upgrades are taken on (default `/mcp/ws`). */
  path?: string;
  /** A fresh McpServer for each connection. */
  createServer: () => McpServer;
  security: McpSecurity;
  slots: SessionSlots;
  /** Largest message; a bigger one closes the connection with 1009. */
  maxMessageBytes: number;
  /** Ping interval (0: none; default 30 s). */
  heartbeatMs?: number;
  onError?: (error: unknown) => void;
}

export const DEFAULT_WEBSOCKET_PATH = '/mcp/ws';

/** Headers not handed to tool handlers: credentials stay in the endpoint. */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * MCP over WebSocket on `/mcp/ws`: the upgrade is checked (Host, Origin, token, session cap) before
 * it is accepted, then the connection is one MCP session with its own McpServer until it closes.
 * Every message counts against the connection's rate limit.
 */
export class WebSocketEndpoint {
  readonly #options: WebSocketEndpointOptions;
  readonly #path: string;
  readonly #wss: WebSocketServer;
  readonly #open = new Set<WebSocketServerTransport>();
  #closing = false;

  constructor(options: WebSocketEndpointOptions) {
    this.#options = options;
    this.#path = options.path ?? DEFAULT_WEBSOCKET_PATH;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // `mcp` when the client offers it; a client offering only other subprotocols gets none and gives up.
      handleProtocols: (protocols) => (protocols.has(MCP_SUBPROTOCOL) ? MCP_SUBPROTOCOL : false),
    });
  }

  get sessionCount(): number {
    return this.#open.size;
  }

  /** Whether an upgrade request is for this endpoint. */
  matches(req: IncomingMessage): boolean {
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    return path === this.#path || path === `${this.#path}/`;
  }

  /** Takes an upgrade request for the endpoint's path: refuses it with an HTTP status or makes it a session. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!this.matches(req)) {
      refuseUpgrade(socket, { status: 404, code: 'NOT_FOUND', message: 'no WebSocket endpoint here' });
      return;
    }
    if (this.#closing) {
      refuseUpgrade(socket, { status: 503, code: 'SHUTTING_DOWN', message: 'server is stopping' });
      return;
    }
    const refused = this.#options.security.admit(req);
    if (refused) {
      refuseUpgrade(socket, refused);
      return;
    }
    if (!this.#options.slots.acquire()) {
      refuseUpgrade(socket, TOO_MANY_SESSIONS);
      return;
    }
    let accepted = false;
    socket.once('close', () => {
      if (!accepted) this.#options.slots.release();
    });
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true;
      void this.#accept(ws, req).catch((error) => {
        this.#options.onError?.(error);
        ws.terminate();
      });
    });
  }

  async #accept(ws: WebSocket, req: IncomingMessage): Promise<void> {
    const { security, slots } = this.#options;
    const sessionId = randomUUID();
    const key = `session:${sessionId}`;
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !HIDDEN_HEADERS.has(name)),
    );
    const transport = new WebSocketServerTransport(ws, {
      sessionId,
      requestInfo: { headers },
      ...(this.#options.heartbeatMs !== undefined ? { heartbeatMs: this.#options.heartbeatMs } : {}),
      admit: () => {
        const limited = security.rate(key);
        return limited ? { retryAfterMs: limited.retryAfterMs } : undefined;
      },
    });
    this.#open.add(transport);
    transport.onclose = () => {
      if (!this.#open.delete(transport)) return;
      slots.release();
      security.limiter.forget(key);
    };
    const server = this.#options.createServer();
    server.server.onerror = () => {
      // Malformed client messages are answered on the socket; nothing to log.
    };
    await server.connect(transport);
    if (this.#closing) await transport.close(CloseCode.goingAway, 'server is stopping');
  }

  /** Closes every connection (1001 going away) and the WebSocket server. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(
      [...this.#open].map((transport) => transport.close(CloseCode.goingAway, 'server is stopping')),
    );
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
