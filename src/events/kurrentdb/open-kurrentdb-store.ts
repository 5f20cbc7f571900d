import type { BzzzConfig } from '../../config/config.js';
import { InvalidArgumentError } from '../errors.js';
import type { EventStore } from '../event-store.js';
import { openKurrentDbEventStore } from './kurrentdb-event-store.js';

/**
 * The KurrentDB store the configuration names (BZZZ_STORE=kurrentdb://… or esdb://…), as the given
 * node: what `openEventStore` calls for `store.kind === 'kurrentdb'`.
 */
export function openKurrentDbStore(
  config: Pick<BzzzConfig, 'store' | 'maxEventSize'>,
  nodeId: string,
): EventStore {
  if (config.store.kind !== 'kurrentdb') {
    throw new InvalidArgumentError(`the store is ${config.store.kind}, not KurrentDB`);
  }
  return openKurrentDbEventStore({
    connectionString: config.store.connectionString,
    nodeId,
    maxEventSize: config.maxEventSize,
  });
}
