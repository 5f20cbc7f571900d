import { resolve } from 'node:path';
import { checkKurrentDbUrl } from './kurrentdb-url.js';

/** Where the events live: the embedded SQLite file, or a KurrentDB/EventStoreDB cluster. */
export type StoreLocation =
  { kind: 'sqlite'; path: string } | { kind: 'kurrentdb'; connectionString: string };

export const STORE_URL_FORMS =
  'sqlite:<path> (or sqlite::memory:), kurrentdb://host:port[,host:port...][?options], esdb://…';

/** Parses `BZZZ_STORE`; throws an Error whose message says what is accepted. */
export function parseStoreUrl(value: string): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new Error('sqlite: needs a file path, as in sqlite:./data/bzzz.db');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (
    scheme === 'kurrentdb' ||
    scheme === 'esdb' ||
    scheme === 'kurrentdb+discover' ||
    scheme === 'esdb+discover'
  ) {
    return { kind: 'kurrentdb', connectionString: checkKurrentDbUrl(value) };
  }
  throw new Error(`unknown scheme${scheme ? ` "${scheme}:"` : ''}; accepted: ${STORE_URL_FORMS}`);
}
