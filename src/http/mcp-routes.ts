import type { McpSecurity } from '../mcp/security/mcp-security.js';
import { MCP_HTTP_PATH, type McpEndpoints } from '../mcp/transports/mcp-endpoints.js';
import { HttpError } from './responses.js';
import type { HttpMethod, Route, RouteHandler } from './router.js';

/** `/mcp` for MCP Streamable HTTP: POST (client messages), GET (server stream), DELETE (end session). */
export function mcpRoutes(endpoints: McpEndpoints): Route[] {
  const handler: RouteHandler = async ({ req, res }) => {
    await endpoints.handleHttp(req, res);
    return undefined;
  };
  return (['POST', 'GET', 'DELETE'] as const satisfies readonly HttpMethod[]).map((method) => ({
    method,
    path: MCP_HTTP_PATH,
    handler,
  }));
}

/**
 * The REST routes behind the same Host/Origin checks and bearer token as MCP. Paths in `tokenFree`
 * (a liveness probe, e.g. `/health`) skip only the token.
 */
export function protectRoutes(
  routes: readonly Route[],
  security: McpSecurity,
  tokenFree: readonly string[] = ['/health'],
): Route[] {
  return routes.map((route) => ({
    ...route,
    handler: (context) => {
      const refusal = security.admit(context.req, { token: !tokenFree.includes(route.path) });
      if (refusal)
        throw new HttpError(refusal.status, refusal.code, refusal.message, undefined, refusal.headers);
      return route.handler(context);
    },
  }));
}
