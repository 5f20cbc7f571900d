import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { BearerToken } from './bearer-token.js';
import { HostOriginGuard } from './host-origin-guard.js';
import { RateLimiter, retryAfterSeconds } from './rate-limiter.js';

export interface McpSecurityOptions {
  /** The address the server binds (loopback unless told otherwise). */
  host: string;
  /** Bearer token every request must carry; none: no token is asked for (loopback only). */
  token?: string | undefined;
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  /** Per-session rate limit: messages per second and burst. */
  ratePerSecond: number;
  rateBurst: number;
  /** Milliseconds clock for the rate limiter (tests). */
  now?: () => number;
}

/** Why a request is turned away: an HTTP status, a code, a message safe to show, extra headers. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/**
 * The checks both MCP endpoints (and the REST API) share: Host and Origin against DNS rebinding, the
 * bearer token, and per-session token buckets. Order: Host (421), Origin (403), token (401).
 */
export class McpSecurity {
  readonly #guard: HostOriginGuard;
  readonly #token: BearerToken | undefined;
  readonly limiter: RateLimiter;

  constructor(options: McpSecurityOptions) {
    this.#guard = new HostOriginGuard(options);
    this.#token = options.token === undefined ? undefined : new BearerToken(options.token);
    this.limiter = new RateLimiter({
      ratePerSecond: options.ratePerSecond,
      burst: options.rateBurst,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  get requiresToken(): boolean {
    return this.#token !== undefined;
  }

  /**
   * Host, Origin and token checks for a request or an upgrade; undefined when it may go on.
   * `{token: false}` skips the token (e.g. a liveness probe), never the Host and Origin checks.
   */
  admit(req: IncomingMessage, checks: { token?: boolean } = {}): Refusal | undefined {
    const guarded = this.#guard.check(req.headers);
    if (guarded) return guarded;
    if (checks.token !== false && this.#token && !this.#token.accepts(req.headers)) {
      return {
        status: 401,
        code: 'UNAUTHORIZED',
        message: 'a bearer token is required: send Authorization: Bearer <BZZZ_TOKEN>',
        headers: { 'www-authenticate': 'Bearer realm="bzzz"' },
      };
    }
    return undefined;
  }

  /** Takes `cost` messages from the key's bucket; a refusal (429 with Retry-After) when it is empty. */
  rate(key: string, cost = 1): (Refusal & { retryAfterMs: number }) | undefined {
    const decision = this.limiter.take(key, cost);
    if (decision.allowed) return undefined;
    return {
      status: 429,
      code: 'RATE_LIMITED',
      message: `too many MCP messages; retry after ${decision.retryAfterMs} ms`,
      headers: { 'retry-after': String(retryAfterSeconds(decision.retryAfterMs)) },
      retryAfterMs: decision.retryAfterMs,
    };
  }
}

/** JSON-RPC error code for a refused HTTP request (the SDK's transports use -32000 the same way). */
export const REFUSED = -32000;

/** A JSON-RPC error object as the body of a refused MCP HTTP request. */
export function refusalBody(refusal: Refusal, id: string | number | null = null): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    error: { code: REFUSED, message: refusal.message, data: { code: refusal.code } },
    id,
  });
}

/** Answers an MCP HTTP request with the refusal (JSON-RPC error body). */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = refusalBody(refusal);
  res.writeHead(refusal.status, {
    ...refusal.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Answers an upgrade request that is not taken with a plain HTTP response, then closes the socket. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = refusalBody(refusal);
  const headers = {
    ...refusal.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status] ?? 'Error'}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
}
