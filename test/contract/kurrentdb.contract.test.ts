import { afterAll } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { openKurrentDbEventStore } from '../../src/events/kurrentdb/kurrentdb-event-store.js';
import { type KurrentDbDouble, startKurrentDbDouble } from '../support/kurrentdb-double/index.js';
import { eventStoreContract, type StoreHarness } from './event-store.contract.js';

const NODE_ID = '12D3KooWContractKurrentNode';

/**
 * The contract through the real @kurrent/kurrentdb-client: against the in-process gRPC double
 * (always), and against a real server when BZZZ_KURRENTDB_URL names one. Tests keep to their own
 * stream prefix, so every fixture shares one server.
 */
function kurrentHarness(name: string, connectionString: () => Promise<string>): StoreHarness {
  return {
    name,
    nodeId: NODE_ID,
    supportsClock: false,
    async fixture() {
      const url = await connectionString();
      const opened: EventStore[] = [];
      return {
        async open(options = {}) {
          const store = openKurrentDbEventStore({
            connectionString: url,
            nodeId: NODE_ID,
            deadlineMs: 10_000,
            ...(options.maxEventSize === undefined ? {} : { maxEventSize: options.maxEventSize }),
          });
          opened.push(store);
          return store;
        },
        async dispose() {
          await Promise.all(opened.map((store) => store.close()));
        },
      };
    },
  };
}

let double: Promise<KurrentDbDouble> | undefined;
const sharedDouble = () => (double ??= startKurrentDbDouble());
afterAll(async () => {
  if (double) await (await double).stop();
});

eventStoreContract(
  kurrentHarness(
    'KurrentDB adapter, real client, in-process gRPC double (test fixture)',
    async () => (await sharedDouble()).connectionString,
  ),
);

const realServer = process.env.BZZZ_KURRENTDB_URL;
if (realServer) {
  eventStoreContract(
    kurrentHarness(`KurrentDB adapter, real server at ${realServer}`, async () => realServer),
  );
}
