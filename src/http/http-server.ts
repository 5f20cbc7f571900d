import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { BzzzError, isBzzzError } from '../errors.js';
import { errorBody, errorResponse, HttpError, sendJson, type JsonResponse } from './responses.js';
import { type RequestContext, type Route, Router } from './router.js';

/** Takes over an `upgrade` request (e.g. the MCP WebSocket endpoint); owns the socket from then on. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpServerOptions {
  /** Default 127.0.0.1: loopback only unless told otherwise. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  routes: readonly Route[];
  /** Upgrade requests go here; without it they are answered 404. */
  onUpgrade?: UpgradeHandler;
  /** Largest request body `readBody` accepts (default 1 MiB); beyond it the answer is 413. */
  maxBodyBytes?: number;
  /** Shared with whoever reports the counts (GET /api/stats); a new counter by default. */
  counter?: RequestCounter;
  /** Where an unexpected handler failure is reported, once per failure (default: one stderr line). */
  onError?: (error: unknown, req: IncomingMessage) => void;
}

export interface HttpServerHandle {
  /** `http://host:port` as bound (the real port when 0 was asked). */
  url: string;
  server: Server;
  requestCounts(): RequestCounts;
  /** Stops accepting, ends open connections (upgraded ones too) and resolves when the server is closed. */
  close(): Promise<void>;
}

/** Requests received and error responses (status ≥ 400) sent since the server started. */
export interface RequestCounts {
  total: number;
  /** Responses with a status of 400 or more. */
  errors: number;
  /** Responses with a status of 500 or more (a subset of `errors`). */
  server_errors: number;
}

/** Counts requests as they arrive and error responses as they finish. */
export class RequestCounter {
  #total = 0;
  #errors = 0;
  #serverErrors = 0;

  request(): void {
    this.#total++;
  }

  response(status: number): void {
    if (status >= 400) this.#errors++;
    if (status >= 500) this.#serverErrors++;
  }

  snapshot(): RequestCounts {
    return { total: this.#total, errors: this.#errors, server_errors: this.#serverErrors };
  }
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const INTERNAL_ERROR = 'internal server error';

function defaultOnError(error: unknown, req: IncomingMessage): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`bzzz http: ${req.method} ${req.url?.split('?')[0]} failed: ${detail}`);
}

/** Turns what a handler threw into the answer: its own status for HttpError, 400/404/503 for known codes. */
function failureResponse(error: unknown): JsonResponse | undefined {
  if (error instanceof HttpError) return errorResponse(error);
  if (isBzzzError(error)) {
    const status =
      error.code === 'INVALID_PARAMETERS'
        ? 400
        : error.code.endsWith('_NOT_FOUND')
          ? 404
          : error.code === 'PROJECTION_TIMEOUT'
            ? 503
            : undefined;
    if (status !== undefined) {
      return { status, body: errorBody(error.code, error.message, error.details as Record<string, unknown>) };
    }
  }
  return undefined;
}

/**
 * The bzzz HTTP server on node:http: routes by method and path pattern, JSON answers in the seed's
 * shapes, upgrade requests handed to `onUpgrade`. Resolves once it listens.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const router = new Router(options.routes);
  const counter = options.counter ?? new RequestCounter();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onError = options.onError ?? defaultOnError;
  const upgraded = new Set<Duplex>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counter.request();
    res.once('finish', () => counter.response(res.statusCode));
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const method = req.method ?? 'GET';
    try {
      if (!path.startsWith('/')) throw new HttpError(400, 'INVALID_REQUEST', 'request target must be a path');
      const match = router.match(method, path);
      if (match.kind === 'not-found') {
        throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${path}`);
      }
      if (match.kind === 'method-not-allowed') {
        throw new HttpError(
          405,
          'METHOD_NOT_ALLOWED',
          `${method} is not allowed on ${path}; allowed: ${match.allowed.join(', ')}`,
          { allowed: match.allowed },
          { allow: match.allowed.join(', ') },
        );
      }
      const context: RequestContext = {
        req,
        res,
        method,
        path,
        params: match.params,
        query: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)),
        readBody: () => readBody(req, maxBodyBytes),
      };
      const response = await match.route.handler(context);
      if (response !== undefined) sendJson(res, response);
    } catch (error) {
      const known = failureResponse(error);
      if (!known) onError(error, req);
      if (res.headersSent) {
        // A handler that streams its own answer failed midway: all that is left is to cut it off.
        res.destroy();
        return;
      }
      sendJson(res, known ?? { status: 500, body: errorBody('INTERNAL_ERROR', INTERNAL_ERROR) });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    counter.request();
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (!options.onUpgrade) {
      counter.response(404);
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    try {
      options.onUpgrade(req, socket, head);
    } catch (error) {
      counter.response(500);
      onError(error, req);
      socket.destroy();
    }
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed HTTP: answer 400 when the socket can still take it, never echo the parser's message.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        new BzzzError(
          'LISTEN_FAILED',
          `cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`,
          {
            host,
            port: options.port ?? 0,
          },
        ),
      );
    };
    server.once('error', failed);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}`,
    server,
    requestCounts: () => counter.snapshot(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Requests still running get their connections cut: shutdown does not wait on slow clients.
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      });
      return closing;
    },
  };
}

/** Reads a request body up to `limit` bytes; a longer one is refused with 413 before it is read whole. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { limit });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
