import { resolve } from 'node:path';
import type { EventStore } from '../event-store.js';

/**
 * Which file an embedded store keeps its events in, for a reader that opens the file itself on its own
 * connection (the audit trail writer's worker thread, say) instead of reading through the store
 * object on the thread that owns it. Only stores opened by `openSqliteEventStore` on a file are known;
 * anything else (a private in-memory store, another adapter, a wrapper) is not.
 */
const files = new WeakMap<EventStore, string>();

/** Records that `store` keeps its events in the file at `path` (made absolute: workers share the cwd). */
export function registerStoreFile(store: EventStore, path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  files.set(store, resolve(path));
}

/** The absolute path of the file `store` keeps its events in; undefined when it is no embedded store on a file. */
export function embeddedStoreFile(store: EventStore): string | undefined {
  return files.get(store);
}
