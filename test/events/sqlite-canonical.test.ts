import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import {
  type CanonicalPage,
  readAllCanonical,
  subscribeToAllCanonical,
} from '../../src/events/canonical-reads.js';
import type { EventStore } from '../../src/events/event-store.js';
import { tempStore } from '../support/temp-store.js';

const NODE = '12D3KooWCanonicalSqliteNode';

/**
 * What the contract cannot see: the embedded store composes canonical bytes from its stored text in
 * SQL (no row parsed), takes the parsed path for what it cannot compose exactly, and composes a row
 * edited outside the store as it finds it.
 */
describe('embedded store: canonical reads from the stored text', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  beforeEach(() => {
    temp = tempStore('bzzz-canonical-');
    store = temp.open(NODE);
  });
  afterEach(() => temp.dispose());

  const page = () => readAllCanonical(store, { author: NODE, fromPosition: 0n, maxCount: 100 });

  it('composes the node’s events in SQL, byte for byte their canonical bytes', async () => {
    await store.append('lamp-1', [
      { type: 'Installed', data: { room: 'hall', tags: ['a', 'b'], n: 1.5e-7, big: 1e21 } },
      { type: 'Pressed', data: 'just a string' },
    ]);
    const result = await page();
    expect(result.fromStoredText).toBe(true);
    expect(result.composed.count).toBe(2);
    expect(result.parsed).toEqual([]);
    const events = await store.readAll();
    events.forEach((event, i) => {
      const bytes = result.composed.bytes.subarray(
        result.composed.offsets[i],
        result.composed.offsets[i + 1],
      );
      expect(bytes.equals(Buffer.from(canonicalEventBytes(event)))).toBe(true);
    });
  });

  it('reads parsed what it cannot compose exactly: author not first, non-ASCII or lone-surrogate names', async () => {
    await store.append('lamp-1', [{ type: 'Traced', data: {}, metadata: { Trace: 'first key' } }]);
    await store.append('lampe-é', [{ type: 'Installed', data: {} }]);
    await store.append('lamp-\ud800', [{ type: 'Installed', data: {} }]);
    await store.append('lamp-2', [{ type: 'Typé', data: {} }]);
    const result = await page();
    expect(result.composed.count).toBe(0);
    expect(result.parsed.map((event) => event.type)).toEqual(['Traced', 'Installed', 'Installed', 'Typé']);
  });

  it('composes a row edited outside the store as it is: non-canonical text gives other bytes', async () => {
    await store.append('lamp-1', [{ type: 'Installed', data: { a: 1, b: 2 } }]);
    await store.close();
    const raw = new Database(temp.path);
    raw.prepare(`UPDATE events SET data = '{"b": 2, "a": 1}'`).run();
    raw.close();
    store = temp.open(NODE);
    const [event] = await store.readAll();
    const result = await page();
    const bytes = result.composed.bytes.toString('utf8');
    expect(bytes).toContain('"data":{"b": 2, "a": 1}');
    expect(bytes).not.toBe(Buffer.from(canonicalEventBytes(event!)).toString('utf8'));
  });

  it('follows the head of the log from what it just committed, as SQL reads it back', async () => {
    const options = { author: NODE, excludeStreamPrefixes: ['audit-'], withIdentity: true, maxCount: 100 };
    const read = (fromPosition: bigint) => readAllCanonical(store, { ...options, fromPosition });
    const subscription = subscribeToAllCanonical(store, { ...options, from: { after: 0n } });
    const pages = subscription[Symbol.asyncIterator]();
    try {
      await store.append('lamp-1', [
        { type: 'Installed', data: { room: 'hall', n: -0, big: 1e21, text: 'ü "q" \\ \u2028' } },
        { type: 'Traced', data: {}, metadata: { Trace: 'author not first' } },
      ]);
      await store.append('audit-x', [{ type: 'Checkpoint', data: { size: 1 } }]);
      await store.append('lamp-2', [{ type: 'Pressed', data: [1, 2] }]);
      const fromSql = await read(1n);
      expect(fromSql.composed.count).toBe(2);
      expect(fromSql.parsed.map((event) => event.type)).toEqual(['Traced', 'Checkpoint']);
      // Edited behind the store's back before the subscription reads: what it gets is what was written.
      const raw = new Database(temp.path);
      raw.prepare(`UPDATE events SET data = '{"room":"attic"}' WHERE position = 1`).run();
      raw.close();
      const live = (await pages.next()).value as CanonicalPage;
      expect(live).toEqual(fromSql);
      expect((await read(1n)).composed.bytes.toString()).toContain('"data":{"room":"attic"}');
      // What it cannot give as a read would (a lone surrogate reads back as U+FFFD), it reads.
      await store.append('lamp-\ud800', [{ type: 'Installed', data: {} }]);
      expect((await pages.next()).value).toEqual(await read(5n));
      // Another connection's commit in between: a gap memory cannot fill, so it reads.
      await temp.open(NODE).append('lamp-3', [{ type: 'Pressed', data: {} }]);
      await store.append('lamp-4', [{ type: 'Pressed', data: {} }]);
      const tail: CanonicalPage[] = [];
      while (tail.reduce((n, page) => n + page.scanned, 0) < 2)
        tail.push((await pages.next()).value as CanonicalPage);
      expect(tail.flatMap((page) => page.composed.positions)).toEqual((await read(6n)).composed.positions);
    } finally {
      await subscription.close();
    }
  });

  it('fails like readAll when an entry it must parse is not JSON', async () => {
    await store.append('lamp-1', [{ type: 'Noted', data: {}, metadata: { author: 'someone else' } }]);
    await store.close();
    const raw = new Database(temp.path);
    raw.prepare(`UPDATE events SET data = '{'`).run();
    raw.close();
    store = temp.open(NODE);
    await expect(store.readAll()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(page()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
