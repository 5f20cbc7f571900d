import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BzzzConfig } from '../config/config.js';
import type { EventStore } from './event-store.js';
import { openKurrentDbStore } from './kurrentdb/open-kurrentdb-store.js';
import { openSqliteEventStore } from './sqlite/sqlite-event-store.js';

/** Opens the store the configuration names, as the given node. */
export function openEventStore(config: BzzzConfig, nodeId: string): EventStore {
  if (config.store.kind === 'kurrentdb') return openKurrentDbStore(config, nodeId);
  if (config.store.path !== ':memory:') mkdirSync(dirname(config.store.path), { recursive: true });
  return openSqliteEventStore({
    path: config.store.path,
    nodeId,
    synchronous: config.synchronous,
    maxEventSize: config.maxEventSize,
  });
}
