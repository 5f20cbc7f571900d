import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Synchronous } from '../events/sqlite/schema.js';
import { type LlmConfig, loadLlmConfig } from '../llm/llm-config.js';
import { redactUrl } from './kurrentdb-url.js';
import { parseStoreUrl, type StoreLocation } from './store-url.js';

/** A configuration value that is not accepted; the message is one line naming the variable. */
export class ConfigError extends Error {
  /** `secret`: the value is a credential and is left out of the message. */
  constructor(variable: string, value: string, accepted: string, options: { secret?: boolean } = {}) {
    super(`${variable}${options.secret ? '' : `=${JSON.stringify(value)}`} is not valid: ${accepted}`);
    this.name = 'ConfigError';
  }
}

export interface BzzzConfig {
  store: StoreLocation;
  /** Holds the node key (and, for the embedded store by default, the database). */
  dataDir: string;
  synchronous: Synchronous;
  maxEventSize: number;
  /** Address the HTTP server binds (BZZZ_HOST): loopback unless told otherwise. */
  host: string;
  /** Port of the HTTP server (BZZZ_PORT); 0 picks a free port. */
  port: number;
  /**
   * Bearer token the MCP endpoints and the REST API require (BZZZ_TOKEN). Required when the server
   * listens beyond loopback; never printed.
   */
  token: string | undefined;
  /** Limits and allowlists of the MCP endpoints. */
  mcp: McpLimits;
  /** OpenAI-compatible API, prices, budget limits, role prompts (src/llm/llm-config.ts). */
  llm: LlmConfig;
}

export interface McpLimits {
  /** Largest MCP message: an HTTP body (413 beyond) or a WebSocket message (closed with 1009 beyond). */
  maxMessageBytes: number;
  /** Messages per second one session may send on average (BZZZ_MCP_RATE_LIMIT). */
  ratePerSecond: number;
  /** Messages one session may send at once before the average applies (BZZZ_MCP_RATE_BURST). */
  rateBurst: number;
  /** Open MCP sessions (HTTP and WebSocket together) at most (BZZZ_MCP_MAX_SESSIONS). */
  maxSessions: number;
  /** Host names accepted in the Host header besides the bound address and the loopback names. */
  allowedHosts: string[];
  /** Origins (scheme://host[:port]) accepted besides the server's own. */
  allowedOrigins: string[];
}

export const DEFAULT_STORE = 'sqlite:./data/bzzz.db';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7331;
export const DEFAULT_MCP_LIMITS: McpLimits = {
  maxMessageBytes: 1024 * 1024,
  ratePerSecond: 50,
  rateBurst: 100,
  maxSessions: 64,
  allowedHosts: [],
  allowedOrigins: [],
};
/** Shortest BZZZ_TOKEN accepted. */
export const MIN_TOKEN_LENGTH = 16;

type Env = Record<string, string | undefined>;

/** Reads and validates the whole configuration at start, so a bad value stops bzzz before it does anything. */
export function loadConfig(env: Env = process.env): BzzzConfig {
  const storeValue = env.BZZZ_STORE ?? DEFAULT_STORE;
  let store: StoreLocation;
  try {
    store = parseStoreUrl(storeValue);
  } catch (error) {
    throw new ConfigError('BZZZ_STORE', redactUrl(storeValue), (error as Error).message);
  }
  const defaultDataDir =
    store.kind === 'sqlite' && store.path !== ':memory:' ? dirname(store.path) : './data';
  return {
    store,
    dataDir: resolve(env.BZZZ_DATA_DIR ?? defaultDataDir),
    synchronous: oneOf(env, 'BZZZ_SQLITE_SYNCHRONOUS', ['FULL', 'NORMAL', 'OFF'] as const, 'FULL'),
    maxEventSize: positiveInteger(env, 'BZZZ_MAX_EVENT_SIZE', 1024 * 1024),
    host: env.BZZZ_HOST === undefined ? DEFAULT_HOST : parseHost('BZZZ_HOST', env.BZZZ_HOST),
    port: env.BZZZ_PORT === undefined ? DEFAULT_PORT : parsePort('BZZZ_PORT', env.BZZZ_PORT),
    token: env.BZZZ_TOKEN === undefined ? undefined : parseToken('BZZZ_TOKEN', env.BZZZ_TOKEN),
    mcp: {
      maxMessageBytes: positiveInteger(env, 'BZZZ_MCP_MAX_MESSAGE_BYTES', DEFAULT_MCP_LIMITS.maxMessageBytes),
      ratePerSecond: positiveInteger(env, 'BZZZ_MCP_RATE_LIMIT', DEFAULT_MCP_LIMITS.ratePerSecond),
      rateBurst: positiveInteger(env, 'BZZZ_MCP_RATE_BURST', DEFAULT_MCP_LIMITS.rateBurst),
      maxSessions: positiveInteger(env, 'BZZZ_MCP_MAX_SESSIONS', DEFAULT_MCP_LIMITS.maxSessions),
      allowedHosts: list(env, 'BZZZ_MCP_ALLOWED_HOSTS', (value) =>
        parseHost('BZZZ_MCP_ALLOWED_HOSTS', value),
      ),
      allowedOrigins: list(env, 'BZZZ_MCP_ALLOWED_ORIGINS', (value) =>
        parseOrigin('BZZZ_MCP_ALLOWED_ORIGINS', value),
      ),
    },
    llm: loadLlmConfig(env),
  };
}

/** Where to listen, as given on the command line (`--host`, `--port`); absent values keep the config's. */
export interface ListenOverrides {
  host?: string | undefined;
  port?: string | undefined;
}

/**
 * The config with the command line's listen address applied, validated like BZZZ_HOST and BZZZ_PORT;
 * a bad value is a ConfigError naming the flag.
 */
export function withListenOverrides(config: BzzzConfig, overrides: ListenOverrides): BzzzConfig {
  return {
    ...config,
    host: overrides.host === undefined ? config.host : parseHost('--host', overrides.host),
    port: overrides.port === undefined ? config.port : parsePort('--port', overrides.port),
  };
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IPv4 or IPv6 address or a host name. */
export function parseHost(name: string, value: string): string {
  if (isIP(value) !== 0 || HOSTNAME.test(value)) return value;
  throw new ConfigError(
    name,
    value,
    'expected an IP address or a host name (e.g. 127.0.0.1, ::1, localhost)',
  );
}

/** A TCP port, 0..65535 (0: any free port). */
export function parsePort(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d{1,5}$/.test(value) || parsed > 65_535) {
    throw new ConfigError(name, value, 'expected a port number from 0 to 65535 (0: any free port)');
  }
  return parsed;
}

const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

/** A bearer token: at least 16 characters of the token68 alphabet. The value never appears in the error. */
export function parseToken(name: string, value: string): string {
  if (value.length >= MIN_TOKEN_LENGTH && TOKEN.test(value)) return value;
  throw new ConfigError(
    name,
    value,
    `expected at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. from \`openssl rand -hex 32\`)`,
    { secret: true },
  );
}

/** An origin as browsers send it: `http(s)://host[:port]`, nothing after. */
export function parseOrigin(name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    url &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.origin === value.replace(/\/$/, '')
  ) {
    return url.origin;
  }
  throw new ConfigError(name, value, 'expected origins like http://localhost:6274, separated by commas');
}

/** A comma-separated list; blanks around items are ignored, an empty value is an empty list. */
function list<T>(env: Env, name: string, parse: (item: string) => T): T[] {
  const value = env[name];
  if (value === undefined) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(parse);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined) return fallback;
  const match = allowed.find((option) => option === value.toUpperCase());
  if (!match) throw new ConfigError(name, value, `expected one of ${allowed.join(', ')}`);
  return match;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new ConfigError(name, value, 'expected a positive integer');
  }
  return parsed;
}
