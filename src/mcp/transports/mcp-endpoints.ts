import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DEFAULT_MCP_LIMITS, type McpLimits } from '../../config/config.js';
import { McpSecurity } from '../security/mcp-security.js';
import { SessionSlots } from './session-slots.js';
import { StreamableHttpEndpoint } from './streamable-http-endpoint.js';
import { DEFAULT_WEBSOCKET_PATH, WebSocketEndpoint } from './websocket-endpoint.js';

export const MCP_HTTP_PATH = '/mcp';
export const MCP_WEBSOCKET_PATH = DEFAULT_WEBSOCKET_PATH;

export interface McpEndpointsOptions {
  /** A fresh McpServer per session (e.g. `() => createMcpServer(context)`). */
  createServer: () => McpServer;
  /** The address the HTTP server binds: the Host allowlist starts from it. */
  host: string;
  /** Bearer token required on both endpoints (undefined: none; only acceptable on loopback). */
  token?: string | undefined;
  limits?: Partial<McpLimits>;
  /** Idle HTTP sessions are closed after this long (default 30 min). */
  idleTimeoutMs?: number;
  /** WebSocket ping interval (default 30 s, 0: none). */
  heartbeatMs?: number;
  /** Milliseconds clock of the rate limiter (tests). */
  now?: () => number;
  onError?: (error: unknown) => void;
}

/** Both MCP network endpoints with the security and session cap they share. */
export interface McpEndpoints {
  security: McpSecurity;
  http: StreamableHttpEndpoint;
  websocket: WebSocketEndpoint;
  /** Handler for `/mcp` (POST, GET, DELETE). */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** `onUpgrade` for the HTTP server: `/mcp/ws` becomes an MCP session, anything else 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sessions over both endpoints. */
  sessionCount(): number;
  /** Ends every session. Call before closing the HTTP server. */
  close(): Promise<void>;
}

function defaultOnError(error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`bzzz mcp: ${detail}`);
}

export function createMcpEndpoints(options: McpEndpointsOptions): McpEndpoints {
  const limits: McpLimits = { ...DEFAULT_MCP_LIMITS, ...options.limits };
  const onError = options.onError ?? defaultOnError;
  const security = new McpSecurity({
    host: options.host,
    token: options.token,
    allowedHosts: limits.allowedHosts,
    allowedOrigins: limits.allowedOrigins,
    ratePerSecond: limits.ratePerSecond,
    rateBurst: limits.rateBurst,
    ...(options.now ? { now: options.now } : {}),
  });
  const slots = new SessionSlots(limits.maxSessions);
  const http = new StreamableHttpEndpoint({
    createServer: options.createServer,
    security,
    slots,
    maxMessageBytes: limits.maxMessageBytes,
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    onError,
  });
  const websocket = new WebSocketEndpoint({
    createServer: options.createServer,
    security,
    slots,
    maxMessageBytes: limits.maxMessageBytes,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    onError,
  });
  return {
    security,
    http,
    websocket,
    handleHttp: (req, res) => http.handle(req, res),
    handleUpgrade: (req, socket, head) => websocket.handleUpgrade(req, socket, head),
    sessionCount: () => http.sessionCount + websocket.sessionCount,
    async close() {
      await Promise.all([http.close(), websocket.close()]);
    },
  };
}
