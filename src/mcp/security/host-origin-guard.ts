import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

export interface HostOriginOptions {
  /** The address the server binds. A wildcard (0.0.0.0, ::) admits every local interface address. */
  host: string;
  /** More names for the Host header (a DNS name, a reverse proxy's name). */
  allowedHosts?: readonly string[];
  /** Origins accepted besides the server's own (e.g. a browser client's page). */
  allowedOrigins?: readonly string[];
}

export type GuardFailure = { status: 421 | 403; code: string; message: string };

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** `Host`-header or address form to a comparable name: lower case, no brackets, no trailing dot. */
function normalizeName(name: string): string {
  let lower = name.trim().toLowerCase();
  if (lower.startsWith('[') && lower.endsWith(']')) lower = lower.slice(1, -1);
  if (lower.endsWith('.')) lower = lower.slice(0, -1);
  return lower;
}

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`), or undefined when it is not one. */
function hostOfHeader(header: string): string | undefined {
  try {
    const url = new URL(`http://${header}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return normalizeName(url.hostname);
  } catch {
    return undefined;
  }
}

function isWildcard(host: string): boolean {
  const name = normalizeName(host);
  return name === '0.0.0.0' || name === '::' || name === '::0';
}

/** The names a browser may legitimately send in Host: the bound address, loopback, and the configured ones. */
export function allowedHostNames(host: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>([...LOOPBACK_NAMES, ...extra.map(normalizeName)]);
  if (isWildcard(host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(normalizeName(address.address));
    }
    names.add(normalizeName(hostname()));
  } else {
    names.add(normalizeName(host));
  }
  return names;
}

/**
 * DNS-rebinding protection: a page from evil.example that re-points its name at 127.0.0.1 still sends
 * `Host: evil.example`, so a Host outside the allowlist is refused (421); a browser's cross-site
 * `Origin` is refused too (403) unless it is the server's own or configured. Requests without
 * `Origin` (non-browser clients) pass the origin check.
 */
export class HostOriginGuard {
  readonly #hosts: Set<string>;
  readonly #origins: Set<string>;

  constructor(options: HostOriginOptions) {
    this.#hosts = allowedHostNames(options.host, options.allowedHosts);
    this.#origins = new Set((options.allowedOrigins ?? []).map((origin) => origin.toLowerCase()));
  }

  check(headers: IncomingHttpHeaders): GuardFailure | undefined {
    const hostHeader = headers.host;
    const host = hostHeader === undefined ? undefined : hostOfHeader(hostHeader);
    if (host === undefined || !this.#hosts.has(host)) {
      return {
        status: 421,
        code: 'MISDIRECTED_REQUEST',
        message: 'the Host header does not name this server',
      };
    }
    const origin = headers.origin;
    if (origin === undefined) return undefined;
    if (this.#origins.has(origin.toLowerCase()) || sameOrigin(origin, hostHeader!)) return undefined;
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: 'requests from this Origin are not accepted' };
  }
}

/** Whether the Origin is the page served by this very host and port (compared as URLs, default ports folded). */
function sameOrigin(origin: string, hostHeader: string): boolean {
  try {
    const from = new URL(origin);
    if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
    return from.host === new URL(`${from.protocol}//${hostHeader}`).host;
  } catch {
    return false;
  }
}
