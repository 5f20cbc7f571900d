import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type JsonResponse } from './responses.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** What a handler gets: the raw request and response, the decoded path parameters and the query. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** The path as sent (still percent-encoded), without the query. */
  path: string;
  /** Path parameters (`:id`), percent-decoded. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The request body, at most the server's `maxBodyBytes` (413 beyond). */
  readBody(): Promise<Buffer>;
}

/**
 * Answers a request: a JSON response, or `undefined` when the handler wrote the response itself
 * (e.g. an MCP Streamable HTTP transport that streams events).
 */
export type RouteHandler = (
  context: RequestContext,
) => JsonResponse | undefined | Promise<JsonResponse | undefined>;

/**
 * One route: a method and a path pattern of literal segments and `:name` parameters, e.g.
 * `/api/agents/:id`. A parameter matches one non-empty segment.
 */
export interface Route {
  method: HttpMethod;
  path: string;
  handler: RouteHandler;
}

type Segment = { literal: string } | { param: string };

interface CompiledRoute extends Route {
  segments: Segment[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  /** The path matches routes, none for this method. */
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

function splitPath(path: string): string[] {
  // One trailing slash is tolerated: /api/agents/ is /api/agents.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

function compile(route: Route): CompiledRoute {
  if (!route.path.startsWith('/')) throw new Error(`route path "${route.path}" must start with /`);
  const names = new Set<string>();
  const segments = splitPath(route.path).map((segment): Segment => {
    const param = PARAM.exec(segment)?.[1];
    if (param === undefined) {
      if (segment.startsWith(':')) throw new Error(`route path "${route.path}": bad parameter "${segment}"`);
      return { literal: segment };
    }
    if (names.has(param)) throw new Error(`route path "${route.path}": parameter :${param} twice`);
    names.add(param);
    return { param };
  });
  return { ...route, segments };
}

/** Literal segments win over parameters, the earliest segment first: `/api/agents/stats` beats `/:id`. */
function specificity(route: CompiledRoute): string {
  return route.segments.map((segment) => ('literal' in segment ? '0' : '1')).join('');
}

/** Routes by method and path pattern. Registering the same method and pattern twice is an error. */
export class Router {
  readonly #routes: CompiledRoute[] = [];

  constructor(routes: readonly Route[] = []) {
    for (const route of routes) this.add(route);
  }

  add(route: Route): this {
    const compiled = compile(route);
    const shape = (r: CompiledRoute) =>
      r.segments.map((s) => ('literal' in s ? `/${s.literal}` : '/:')).join('');
    if (this.#routes.some((r) => r.method === route.method && shape(r) === shape(compiled))) {
      throw new Error(`route ${route.method} ${route.path} is registered twice`);
    }
    this.#routes.push(compiled);
    this.#routes.sort((a, b) => specificity(a).localeCompare(specificity(b)));
    return this;
  }

  get routes(): readonly Route[] {
    return this.#routes;
  }

  /**
   * The route for a method and a raw (percent-encoded) path. HEAD falls back to GET. Throws a 400
   * HttpError when a parameter is not valid percent-encoding.
   */
  match(method: string, path: string): RouteMatch {
    const parts = splitPath(path);
    const allowed = new Set<HttpMethod>();
    let found: { route: CompiledRoute; raw: Record<string, string> } | undefined;
    let headFallback: { route: CompiledRoute; raw: Record<string, string> } | undefined;
    for (const route of this.#routes) {
      const raw = matchSegments(route.segments, parts);
      if (!raw) continue;
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
      if (!found && route.method === method) found = { route, raw };
      if (!headFallback && method === 'HEAD' && route.method === 'GET') headFallback = { route, raw };
    }
    const hit = found ?? headFallback;
    if (hit) return { kind: 'found', route: hit.route, params: decodeParams(hit.raw) };
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed].sort() };
    return { kind: 'not-found' };
  }
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const raw: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const part = parts[index]!;
    if ('literal' in segment) {
      if (part !== segment.literal) return undefined;
    } else {
      if (part === '') return undefined;
      raw[segment.param] = part;
    }
  }
  return raw;
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw new HttpError(400, 'INVALID_PARAMETERS', `path parameter ${name} is not valid percent-encoding`, {
        parameter: name,
      });
    }
  }
  return params;
}
