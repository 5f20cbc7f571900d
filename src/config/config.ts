import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Synchronous } from '../events/sqlite/schema.js';
import { parseStoreUrl, type StoreLocation } from './store-url.js';

/** A configuration value that is not accepted; the message is one line naming the variable. */
export class ConfigError extends Error {
  constructor(variable: string, value: string, accepted: string) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${accepted}`);
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
}

export const DEFAULT_STORE = 'sqlite:./data/bzzz.db';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7331;

type Env = Record<string, string | undefined>;

/** Reads and validates the whole configuration at start, so a bad value stops bzzz before it does anything. */
export function loadConfig(env: Env = process.env): BzzzConfig {
  const storeValue = env.BZZZ_STORE ?? DEFAULT_STORE;
  let store: StoreLocation;
  try {
    store = parseStoreUrl(storeValue);
  } catch (error) {
    throw new ConfigError('BZZZ_STORE', storeValue, (error as Error).message);
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
