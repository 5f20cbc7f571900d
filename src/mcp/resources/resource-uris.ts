import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AGENT_ID_PATTERN } from '../../actors/agent/agent-events.js';

/**
 * Resource URIs. These name MCP resources (`bzzz://agents/<id>`, `bzzz://threads/<id>`,
 * `bzzz://reports/…`); they are not semantic addresses (`bzzz://agent:role@project:task`), which
 * bzzz_lookup and bzzz_post take.
 */
export const AGENT_URI_TEMPLATE = 'bzzz://agents/{id}';
export const THREAD_URI_TEMPLATE = 'bzzz://threads/{id}';
export const STATS_REPORT_URI = 'bzzz://reports/stats';
export const COST_REPORT_URI = 'bzzz://reports/cost';

/** JSON-RPC code for an unknown resource (MCP specification, resources: error handling). */
export const RESOURCE_NOT_FOUND = -32002;

export const agentUri = (id: string) => `bzzz://agents/${id}`;
export const threadUri = (id: string) => `bzzz://threads/${id}`;

const AGENT_OR_THREAD = /^bzzz:\/\/(agents|threads)\/(.+)$/;

/** Whether `uri` names a resource this server can have (the actor may not exist yet). */
export function isResourceUri(uri: string): boolean {
  if (uri === STATS_REPORT_URI || uri === COST_REPORT_URI) return true;
  const match = AGENT_OR_THREAD.exec(uri);
  return match !== null && AGENT_ID_PATTERN.test(match[2]!);
}

/** The id in a template match (`{id}`), or a resource-not-found error. */
export function idOf(uri: URL, value: string | string[] | undefined): string {
  const id = Array.isArray(value) ? value[0] : value;
  if (id === undefined || !AGENT_ID_PATTERN.test(id)) throw notFound(uri.href);
  return id;
}

export function notFound(uri: string): McpError {
  return new McpError(RESOURCE_NOT_FOUND, `Resource ${uri} not found`, { uri });
}
