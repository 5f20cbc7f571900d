import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  isInitializeRequest,
  isJSONRPCNotification,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { type McpSecurity, sendRefusal } from '../security/mcp-security.js';
import { type SessionSlots, TOO_MANY_SESSIONS } from './session-slots.js';

export interface StreamableHttpEndpointOptions {
  /** A fresh McpServer for each session. */
  createServer: () => McpServer;
  security: McpSecurity;
  slots: SessionSlots;
  /** Largest POST body (413 beyond). */
  maxMessageBytes: number;
  /** A session with no request in flight for this long is closed (default 30 minutes). */
  idleTimeoutMs?: number;
  /** Where unexpected failures go (default: one stderr line). */
  onError?: (error: unknown) => void;
}

interface HttpSession {
  id: string;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Requests (including an open GET stream) not finished yet. */
  inFlight: number;
  lastSeen: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;

const SESSION_HEADER = 'mcp-session-id';

/**
 * MCP Streamable HTTP on one path (`/mcp`): POST carries client messages, GET opens the stream of
 * server notifications, DELETE ends the session. Stateful: `initialize` creates a session with its
 * own McpServer and transport; later requests name it in `Mcp-Session-Id`. Before the SDK sees a
 * request: Host/Origin/token checks, the body limit (413), the session's rate limit (429), and on
 * initialize the session cap (503).
 */
export class StreamableHttpEndpoint {
  readonly #options: StreamableHttpEndpointOptions;
  readonly #sessions = new Map<string, HttpSession>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #idleMs: number;
  #closing = false;

  constructor(options: StreamableHttpEndpointOptions) {
    this.#options = options;
    this.#idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.min(60_000, Math.max(1000, this.#idleMs / 2)));
    this.#sweeper.unref();
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Requests the sessions' transports still hold a stream for (those awaiting their response). */
  get requestsTracked(): number {
    let count = 0;
    for (const session of this.#sessions.values())
      count += requestState(session.transport)?._requestToStreamMapping?.size ?? 0;
    return count;
  }

  /** Handles one request to the endpoint's path (any method; the router sends only POST/GET/DELETE). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const security = this.#options.security;
    const admitted = security.admit(req);
    if (admitted) return sendRefusal(res, admitted);
    if (this.#closing)
      return sendRefusal(res, { status: 503, code: 'SHUTTING_DOWN', message: 'server is stopping' });

    const sessionHeader = req.headers[SESSION_HEADER];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    const session = sessionId === undefined ? undefined : this.#sessions.get(sessionId);
    if (sessionId !== undefined && !session) {
      // The spec's answer to an unknown or ended session: the client starts a new one.
      return sendRefusal(res, { status: 404, code: 'SESSION_NOT_FOUND', message: 'Session not found' });
    }

    if (req.method === 'POST') {
      const body = await readLimited(req, this.#options.maxMessageBytes);
      if (body === 'too-large') {
        return sendRefusal(res, {
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          message: `MCP message larger than ${this.#options.maxMessageBytes} bytes`,
          // The rest of the body is not read: the connection cannot be reused.
          headers: { connection: 'close' },
        });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendJsonRpcError(res, 400, -32700, 'Parse error: invalid JSON');
      }
      const messages = Array.isArray(parsed) ? parsed : [parsed];
      const limited = security.rate(rateKey(req, session), Math.max(1, messages.length));
      if (limited) return sendRefusal(res, limited);
      if (session) return this.#forward(session, req, res, parsed);
      if (!messages.some((message) => isInitializeRequest(message))) {
        return sendRefusal(res, {
          status: 400,
          code: 'SESSION_REQUIRED',
          message: 'Bad Request: Mcp-Session-Id header is required',
        });
      }
      return this.#initialize(req, res, parsed);
    }

    if (!session) {
      return sendRefusal(res, {
        status: 400,
        code: 'SESSION_REQUIRED',
        message: 'Bad Request: Mcp-Session-Id header is required',
      });
    }
    if (req.method === 'GET') {
      const limited = security.rate(rateKey(req, session));
      if (limited) return sendRefusal(res, limited);
    }
    // DELETE is never rate limited: a client may always end its session.
    return this.#forward(session, req, res, undefined);
  }

  /** Closes every session (their streams end) and stops the idle sweeper. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#sessions.values()].map((session) => this.#end(session)));
  }

  async #initialize(req: IncomingMessage, res: ServerResponse, parsed: unknown): Promise<void> {
    const { slots, security } = this.#options;
    if (!slots.acquire()) return sendRefusal(res, TOO_MANY_SESSIONS);
    let registered: HttpSession | undefined;
    const server = this.#options.createServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        registered = { id, transport, server, inFlight: 0, lastSeen: Date.now() };
        this.#sessions.set(id, registered);
      },
    });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slots.release();
      if (registered) {
        this.#sessions.delete(registered.id);
        security.limiter.forget(`session:${registered.id}`);
      }
    };
    // Set before connect: the server chains its own close handling after ours.
    transport.onclose = release;
    server.server.onerror = () => {
      // Client mistakes (bad JSON, unknown session) are answered to the client; nothing to log.
    };
    try {
      await server.connect(transport);
      endStreamsOfCancelledCalls(transport);
      await transport.handleRequest(req, res, parsed);
    } catch (error) {
      this.#options.onError?.(error);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error');
    } finally {
      // An initialize the SDK refused created no session: give the slot back.
      if (!registered) {
        release();
        await server.close().catch(() => {});
      }
    }
  }

  async #forward(
    session: HttpSession,
    req: IncomingMessage,
    res: ServerResponse,
    parsed: unknown,
  ): Promise<void> {
    session.inFlight++;
    session.lastSeen = Date.now();
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      session.inFlight--;
      session.lastSeen = Date.now();
    };
    // A GET stream (and a POST answered as SSE) lasts until the response closes, not until handleRequest returns.
    res.once('close', finished);
    try {
      await session.transport.handleRequest(req, res, parsed);
    } catch (error) {
      this.#options.onError?.(error);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error');
    }
  }

  async #end(session: HttpSession): Promise<void> {
    this.#sessions.delete(session.id);
    await session.server.close();
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const session of [...this.#sessions.values()]) {
      if (session.inFlight === 0 && now - session.lastSeen >= this.#idleMs) {
        void this.#end(session).catch((error) => this.#options.onError?.(error));
      }
    }
  }
}

/**
 * A cancelled call gets no response (MCP), so the SSE stream its POST opened would stay open until
 * the session ends, and the session would never look idle. End it once the cancellation is handled.
 * The SDK's transport forgets a request when it sends the response, so it would keep a cancelled
 * call's entries for as long as the session lives (measured: 530 B per cancelled call): they go too.
 */
function endStreamsOfCancelledCalls(transport: StreamableHTTPServerTransport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    deliver?.(message, extra);
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') {
        setImmediate(() => {
          transport.closeSSEStream(requestId);
          const state = requestState(transport);
          state?._requestToStreamMapping?.delete(requestId);
          state?._requestResponseMap?.delete(requestId);
        });
      }
    }
  };
}

/** What the SDK's transport keeps per request until it sends the response (its private maps, SDK 1.x). */
interface SdkRequestState {
  _requestToStreamMapping?: Map<RequestId, string>;
  _requestResponseMap?: Map<RequestId, unknown>;
}

function requestState(transport: StreamableHTTPServerTransport): SdkRequestState | undefined {
  return (transport as unknown as { _webStandardTransport?: SdkRequestState })._webStandardTransport;
}

/** Rate limit key: the session, or the client's address for requests that have none yet. */
function rateKey(req: IncomingMessage, session: HttpSession | undefined): string {
  return session ? `session:${session.id}` : `address:${req.socket.remoteAddress ?? 'unknown'}`;
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The body, or 'too-large' as soon as it passes `limit` bytes (a declared Content-Length is checked first). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
