import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import type { EventFilter, RecordedEvent, Subscription } from '../../src/events/types.js';
import { until } from '../support/until.js';

/** Takes `count` events from a subscription (without closing it). */
async function take(subscription: Subscription, count: number): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const events: RecordedEvent[] = [];
  while (events.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    events.push(next.value);
  }
  return events;
}

/** Events as plain JSON, to compare what a subscription gave with what a read of the file gives. */
const plain = (events: readonly RecordedEvent[]) =>
  events.map((event) => ({ ...event, position: event.position.toString() }));

describe('the embedded store serves live subscriptions from what it committed', () => {
  let dir: string;
  let path: string;
  let store: EventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-tail-'));
    path = join(dir, 'tail.db');
    store = openSqliteEventStore({ path, nodeId: 'n' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every live subscriber the same frozen event, equal to what a read of the file gives', async () => {
    const a = store.subscribeToAll({ from: 'end' });
    const b = store.subscribeToAll({ from: 'end' });
    const pendingA = take(a, 3);
    const pendingB = take(b, 3);
    await store.append('agent-1', [
      { type: 'AgentAnnounced', data: { role: 'reviewer', tags: ['x', { deep: [1, 2] }] } },
      { type: 'AgentHeartbeatReceived', data: { at: '2026-01-01T00:00:00.000Z' }, metadata: { k: 'v' } },
    ]);
    await store.append('thread-1', [{ type: 'ThreadCreated', data: { topic: 't' } }]);
    const [fromA, fromB] = await Promise.all([pendingA, pendingB]);
    expect(fromA.map((event, i) => event === fromB[i])).toEqual([true, true, true]);
    expect(plain(fromA)).toEqual(plain(await store.readAll()));
    const first = fromA[0]!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first.data as { tags: unknown[] }).tags.push('y');
    }).toThrow(TypeError);
    expect(() => {
      (first.data as { tags: { deep: number[] }[] }).tags[1]!.deep[0] = 9;
    }).toThrow(TypeError);
    await Promise.all([a.close(), b.close()]);
  });

  it('filters live events as a filtered read of the file does', async () => {
    const filters: EventFilter[] = [
      { streamPrefixes: ['agent-'] },
      { eventTypes: ['ThreadCreated', 'MessagePosted'] },
      { streamPrefixes: ['thread-', 'sub'], eventTypes: ['MessagePosted'] },
      { streamPrefixes: [], eventTypes: [] },
    ];
    const subscriptions = filters.map((filter) => store.subscribeToAll({ from: 'end', filter }));
    const streams = ['agent-1', 'thread-1', 'subscription-1', 'agent-2', 'thread-2'];
    const types = ['AgentAnnounced', 'ThreadCreated', 'MessagePosted'];
    for (let i = 0; i < 30; i++) {
      await store.append(streams[i % streams.length]!, [{ type: types[i % types.length]!, data: { i } }]);
    }
    for (const [k, filter] of filters.entries()) {
      const expected = await store.readAll({ filter });
      expect(plain(await take(subscriptions[k]!, expected.length))).toEqual(plain(expected));
    }
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
  });

  it('reads what another connection committed in between from the file, with no gap and no duplicate', async () => {
    const other = openSqliteEventStore({ path, nodeId: 'other' });
    try {
      const live = store.subscribeToAll({ from: 'end' });
      const pending = take(live, 9);
      for (let i = 0; i < 3; i++) {
        await store.append('mine', [{ type: 'Mine', data: { i } }]);
        await other.append('theirs', [
          { type: 'Theirs', data: { i } },
          { type: 'Theirs', data: { i, second: true } },
        ]);
      }
      const events = await pending;
      expect(events.map((event) => Number(event.position))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(plain(events)).toEqual(plain(await store.readAll()));
      await live.close();
    } finally {
      await other.close();
    }
  });

  it('gives a filtered live subscriber what another connection committed after its own last commit', async () => {
    const other = openSqliteEventStore({ path, nodeId: 'other' });
    try {
      const live = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: ['agent-'] } });
      const received: RecordedEvent[] = [];
      const following = (async () => {
        for await (const event of live) {
          received.push(event);
          if (received.length === 4) return;
        }
      })();
      await store.append('agent-1', [{ type: 'Mine', data: { i: 1 } }]);
      await store.append('thread-1', [{ type: 'Skipped', data: {} }]);
      // Nothing of this connection follows: only the poll of other writers brings these.
      await other.append('thread-2', [{ type: 'Skipped', data: {} }]);
      await other.append('agent-2', [{ type: 'Theirs', data: { i: 2 } }]);
      await other.append('agent-3', [{ type: 'Theirs', data: { i: 3 } }]);
      await until("the other connection's events", () => (received.length === 3 ? true : undefined));
      await store.append('agent-1', [{ type: 'Mine', data: { i: 4 } }]);
      await following;
      expect(received.map((event) => (event.data as { i: number }).i)).toEqual([1, 2, 3, 4]);
      expect(plain(received)).toEqual(plain(await store.readAll({ filter: { streamPrefixes: ['agent-'] } })));
      await live.close();
    } finally {
      await other.close();
    }
  });

  it('serves a subscriber that stopped iterating no more, and keeps serving the others', async () => {
    const stopping = store.subscribeToAll({ from: 'end' });
    const staying = store.subscribeToAll({ from: 'end' });
    const pendingStop = (async () => {
      for await (const event of stopping) return event;
      return undefined;
    })();
    const pendingStay = take(staying, 40);
    for (let i = 0; i < 40; i++) await store.append('s', [{ type: 'T', data: { i } }]);
    expect((await pendingStop)?.data).toEqual({ i: 0 });
    expect((await pendingStay).map((event) => (event.data as { i: number }).i)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    await staying.close();
  });

  it('leaves out the live events a skip hint names, but for the last of each page', async () => {
    const subscription = store.subscribeToAll({ from: 'end', skip: (stream) => stream.startsWith('mine-') });
    const pages: string[][] = [];
    const collected = (async () => {
      for await (const page of subscription.pages!()) {
        pages.push(page.map((e) => e.stream));
        if (page.at(-1)!.stream === 'mine-5') return;
      }
    })();
    // Appended in one turn of the event loop: one commit, read as one page.
    await Promise.all(
      ['mine-1', 'mine-2', 'theirs-1', 'mine-3', 'mine-4'].map((s) =>
        store.append(s, [{ type: 'A', data: {} }]),
      ),
    );
    await store.append('mine-5', [{ type: 'A', data: {} }]);
    await collected;
    expect(pages).toEqual([['theirs-1', 'mine-4'], ['mine-5']]);
    await subscription.close();
  });

  it('with a skip hint, still reads on at once past a full page', async () => {
    const subscription = store.subscribeToAll({ from: 'end', skip: (stream) => stream === 'mine' });
    const many = (n: number) => Array.from({ length: n }, () => ({ type: 'A', data: {} }));
    const seen: string[] = [];
    const collected = (async () => {
      for await (const event of subscription) {
        seen.push(event.stream);
        if (seen.filter((s) => s === 'theirs').length === 400) return;
      }
    })();
    // One commit of 800 events: more than a page (512), the first page all but full of skippable ones.
    await Promise.all([store.append('mine', many(400)), store.append('theirs', many(400))]);
    await collected;
    expect(seen.filter((s) => s === 'theirs')).toHaveLength(400);
    await subscription.close();
  });

  it('gives the same events page by page as one by one, past and live, filtered', async () => {
    await store.append('agent-1', [{ type: 'A', data: { n: 1 } }]);
    await store.append('other-1', [{ type: 'B', data: { n: 2 } }]);
    const filter: EventFilter = { streamPrefixes: ['agent-'] };
    const byEvent = store.subscribeToAll({ from: 'start', filter });
    const byPage = store.subscribeToAll({ from: 'start', filter });
    expect(byPage.pages).toBeDefined();
    const pages: (readonly RecordedEvent[])[] = [];
    const collected = (async () => {
      let seen = 0;
      for await (const page of byPage.pages!()) {
        expect(page.length).toBeGreaterThan(0);
        pages.push(page);
        seen += page.length;
        if (seen === 4) break;
      }
    })();
    const events = take(byEvent, 4);
    await Promise.all([
      store.append('agent-2', [{ type: 'A', data: { n: 3 } }]),
      store.append('agent-3', [{ type: 'A', data: { n: 4 } }]),
    ]);
    await store.append('agent-1', [{ type: 'A', data: { n: 5 } }]);
    await collected;
    expect(plain(pages.flat())).toEqual(plain(await events));
    expect(plain(pages.flat())).toEqual(plain(await store.readAll({ filter })));
    // The two live appends committed together arrive as one page.
    expect(pages.some((page) => page.length >= 2)).toBe(true);
    expect(() => byEvent.pages!()[Symbol.asyncIterator]()).toThrow(/already iterated by events/);
    await Promise.all([byEvent.close(), byPage.close()]);
  });
});
