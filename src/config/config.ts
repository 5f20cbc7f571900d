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
}

export const DEFAULT_STORE = 'sqlite:./data/bzzz.db';

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
  };
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
