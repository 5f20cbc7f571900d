import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { eventStoreContract } from './event-store.contract.js';

const NODE_ID = '12D3KooWContractSqliteNode';

eventStoreContract({
  name: 'embedded SQLite (file, WAL, synchronous=FULL)',
  nodeId: NODE_ID,
  supportsClock: true,
  async fixture() {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-contract-'));
    const path = join(dir, 'events.db');
    const opened: EventStore[] = [];
    return {
      async open(options = {}) {
        const store = openSqliteEventStore({ path, nodeId: NODE_ID, ...options });
        opened.push(store);
        return store;
      },
      async dispose() {
        await Promise.all(opened.map((store) => store.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
