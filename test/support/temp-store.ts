import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';

/** A temp directory with an embedded store file in it; `dispose` closes what was opened and removes it. */
export function tempStore(prefix = 'bzzz-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'events.db');
  const opened: EventStore[] = [];
  return {
    dir,
    path,
    open(nodeId = '12D3KooWTestNode') {
      const store = openSqliteEventStore({ path, nodeId });
      opened.push(store);
      return store;
    },
    async dispose() {
      await Promise.all(opened.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
