import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/events/types.js';
import { type ContractContext, event, events, take } from './harness.js';

const revisions = (list: RecordedEvent[]) => list.map((e) => e.revision);

export function subscriptionsContract(t: ContractContext): void {
  describe('catch-up subscriptions', () => {
    it('delivers a stream from the start, then live events, in order', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(3));
      const subscription = t.store.subscribeToStream(stream);
      try {
        expect(revisions(await take(subscription, 3))).toEqual([0, 1, 2]);
        const live = take(subscription, 2);
        await t.store.append(stream, events(2));
        expect(revisions(await live)).toEqual([3, 4]);
      } finally {
        await subscription.close();
      }
    });

    it('resumes a stream after the last revision seen, and from the end', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(5));
      const resumed = t.store.subscribeToStream(stream, { from: { after: 2 } });
      const fromEnd = t.store.subscribeToStream(stream, { from: 'end' });
      try {
        expect(revisions(await take(resumed, 2))).toEqual([3, 4]);
        const next = take(fromEnd, 1);
        await t.store.append(stream, [event('Later')]);
        expect((await next).map((e) => [e.revision, e.type])).toEqual([[5, 'Later']]);
      } finally {
        await Promise.all([resumed.close(), fromEnd.close()]);
      }
    });

    it('delivers $all with a filter across catch-up and live, with no gap and no duplicate', async () => {
      const streams = Array.from({ length: 8 }, () => t.stream('w'));
      await Promise.all(streams.map((stream) => t.store.append(stream, events(3))));
      const subscription = t.store.subscribeToAll({ filter: { streamPrefixes: [t.prefix] } });
      const writers = streams.map(async (stream) => {
        for (let i = 0; i < 10; i++) await t.store.append(stream, events(2));
      });
      try {
        const seen = await take(subscription, 8 * 3 + 8 * 10 * 2);
        await Promise.all(writers);
        const stored = await t.store.readAll({ filter: { streamPrefixes: [t.prefix] } });
        expect(seen.map((e) => e.id)).toEqual(stored.map((e) => e.id));
        expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.position > seen[i - 1]!.position).toBe(true);
      } finally {
        await subscription.close();
      }
    });

    it('takes a skip hint: leaves out no other event, and always gives the last one', async () => {
      const mine = t.stream('mine');
      const theirs = t.stream('theirs');
      const subscription = t.store.subscribeToAll({
        from: 'end',
        filter: { streamPrefixes: [t.prefix] },
        skip: (stream) => stream === mine,
      });
      try {
        const seen: RecordedEvent[] = [];
        const collected = (async () => {
          for await (const e of subscription) {
            seen.push(e);
            if (e.type === 'Last') return;
          }
        })();
        await Promise.all([
          t.store.append(mine, events(2)),
          t.store.append(theirs, events(2)),
          t.store.append(mine, events(2), { expectedRevision: 'any' }),
        ]);
        await t.store.append(theirs, events(1));
        await t.store.append(mine, [event('Last')]);
        await collected;
        const stored = await t.store.readAll({ filter: { streamPrefixes: [t.prefix] } });
        // Every event the hint does not name, in order, and the last one; the named ones may be left out.
        expect(seen.filter((e) => e.stream === theirs).map((e) => e.id)).toEqual(
          stored.filter((e) => e.stream === theirs).map((e) => e.id),
        );
        expect(seen.at(-1)!.id).toBe(stored.at(-1)!.id);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.position > seen[i - 1]!.position).toBe(true);
      } finally {
        await subscription.close();
      }
    });

    it('resumes $all after the last position seen, and filters by event type live', async () => {
      const stream = t.stream();
      await t.store.append(stream, [event('A'), event('B'), event('A'), event('C')]);
      const first = t.store.subscribeToAll({
        filter: { streamPrefixes: [t.prefix], eventTypes: ['A', 'C'] },
      });
      const seen = await take(first, 2);
      await first.close();
      expect(seen.map((e) => e.type)).toEqual(['A', 'A']);
      const resumed = t.store.subscribeToAll({
        from: { after: seen[1]!.position },
        filter: { streamPrefixes: [t.prefix], eventTypes: ['A', 'C'] },
      });
      try {
        const next = take(resumed, 2);
        await t.store.append(stream, [event('B'), event('A')]);
        expect((await next).map((e) => [e.type, e.revision])).toEqual([
          ['C', 3],
          ['A', 5],
        ]);
      } finally {
        await resumed.close();
      }
    });

    it('starts $all at the end: only events appended after subscribing', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(3));
      const subscription = t.store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [t.prefix] } });
      try {
        const next = take(subscription, 1);
        await t.store.append(stream, [event('New')]);
        expect((await next).map((e) => e.type)).toEqual(['New']);
      } finally {
        await subscription.close();
      }
    });

    it('sees events written through another connection to the same store', async () => {
      const other = await t.fixture.open();
      const stream = t.stream();
      const subscription = t.store.subscribeToStream(stream);
      try {
        const next = take(subscription, 2);
        await other.append(stream, events(2));
        expect(revisions(await next)).toEqual([0, 1]);
      } finally {
        await subscription.close();
      }
    });

    it('ends iteration when closed', async () => {
      const subscription = t.store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [t.prefix] } });
      const iterator = subscription[Symbol.asyncIterator]();
      const pending = iterator.next();
      await subscription.close();
      expect(await pending).toEqual({ done: true, value: undefined });
    });
  });
}
