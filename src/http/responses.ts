import type { ServerResponse } from 'node:http';

/**
 * What a route answers: a status and a JSON body (serialized by {@link sendJson}). A handler that writes
 * the response itself (streams, MCP transports) returns `undefined` instead.
 */
export interface JsonResponse {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

/** The seed's standard error response (API_REFERENCE.md, "Error Handling"). */
export interface ErrorBody {
  success: false;
  error: string;
  code: string;
  details?: Record<string, unknown>;
  timestamp: string;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * An answer other than success, thrown from anywhere in a handler: the server turns it into the seed's
 * error shape with this status. Its message is shown to the client, so it must name what was wrong with
 * the request and nothing about the server's insides.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Longest piece of a client's input echoed back in an error. */
const ECHO_MAX = 100;

/** The client's value, cut to a readable length for messages and details. */
export function echo(value: string): string {
  return value.length > ECHO_MAX ? `${value.slice(0, ECHO_MAX)}…` : value;
}

/** 400 INVALID_PARAMETERS naming the parameter: `<parameter> <reason>`, e.g. `limit must be …`. */
export function badParameter(parameter: string, reason: string, value?: string): HttpError {
  return new HttpError(
    400,
    'INVALID_PARAMETERS',
    `${parameter} ${reason}${value === undefined ? '' : ` (got ${JSON.stringify(echo(value))})`}`,
    value === undefined ? { parameter } : { parameter, value: echo(value) },
  );
}

/** 404 with a specific code (AGENT_NOT_FOUND, THREAD_NOT_FOUND, NOT_FOUND). */
export function notFound(code: string, message: string, details?: Record<string, unknown>): HttpError {
  return new HttpError(404, code, message, details);
}

/** A successful answer: `{success: true, ...body, timestamp}`. */
export function ok(body: Record<string, unknown>, status = 200): JsonResponse {
  return { status, body: { success: true, ...body, timestamp: new Date().toISOString() } };
}

/** The seed's error shape; `details` only when there are some. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return {
    success: false,
    error: message,
    code,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
    timestamp: new Date().toISOString(),
  };
}

export function errorResponse(error: HttpError): JsonResponse {
  return {
    status: error.status,
    body: errorBody(error.code, error.message, error.details),
    ...(error.headers ? { headers: error.headers } : {}),
  };
}

/** JSON text of a body; bigints (store positions) become decimal strings. */
export function toJson(body: unknown): string {
  return JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** Writes a JSON response (no body for HEAD), never cached, never sniffed. */
export function sendJson(res: ServerResponse, response: JsonResponse): void {
  const text = toJson(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
