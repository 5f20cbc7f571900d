import { describe, expect, it } from 'vitest';
import { type ContractContext, event, events } from './harness.js';

export function readsContract(t: ContractContext): void {
  describe('reading a stream', () => {
    it('reads forwards from a revision with a limit', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(10));
      const page = await t.store.readStream(stream, { fromRevision: 3, maxCount: 4 });
      expect(page.map((e) => e.revision)).toEqual([3, 4, 5, 6]);
      expect(page.map((e) => e.data)).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
    });

    it('reads backwards from the end or from a revision', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(10));
      const last = await t.store.readStream(stream, {
        direction: 'backwards',
        fromRevision: 'end',
        maxCount: 3,
      });
      expect(last.map((e) => e.revision)).toEqual([9, 8, 7]);
      const middle = await t.store.readStream(stream, {
        direction: 'backwards',
        fromRevision: 4,
        maxCount: 10,
      });
      expect(middle.map((e) => e.revision)).toEqual([4, 3, 2, 1, 0]);
      expect(await t.store.readStream(stream, { fromRevision: 'end' })).toEqual([]);
    });

    it('reads a missing stream as empty, and only its own events', async () => {
      const [a, b] = [t.stream(), t.stream()];
      await t.store.append(a, events(2));
      expect(await t.store.readStream(b)).toEqual([]);
      await t.store.append(b, [event('B')]);
      expect((await t.store.readStream(b)).map((e) => e.type)).toEqual(['B']);
    });
  });

  describe('reading $all', () => {
    it('reads forwards from an inclusive position with a limit, in position order', async () => {
      const [a, b] = [t.stream('a'), t.stream('b')];
      await t.store.append(a, events(3));
      await t.store.append(b, events(3));
      await t.store.append(a, events(2));
      const mine = await t.store.readAll({ filter: { streamPrefixes: [t.prefix] } });
      expect(mine).toHaveLength(8);
      const positions = mine.map((e) => e.position);
      expect([...positions].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(positions);
      const from = mine[2]!.position;
      const page = await t.store.readAll({
        fromPosition: from,
        maxCount: 3,
        filter: { streamPrefixes: [t.prefix] },
      });
      expect(page.map((e) => e.id)).toEqual(mine.slice(2, 5).map((e) => e.id));
    });

    it('reads backwards from the end and from a position', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(5));
      const newest = await t.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 2 });
      expect(newest.map((e) => [e.stream, e.revision])).toEqual([
        [stream, 4],
        [stream, 3],
      ]);
      const from = newest[1]!.position;
      const older = await t.store.readAll({ direction: 'backwards', fromPosition: from, maxCount: 2 });
      expect(older.map((e) => e.revision)).toEqual([3, 2]);
    });

    it('filters by stream-name prefixes and by event types, OR within and AND across', async () => {
      const agent = t.stream('agent');
      const thread = t.stream('thread');
      const other = t.stream('other');
      await t.store.append(agent, [event('AgentAnnounced'), event('AgentHeartbeat')]);
      await t.store.append(thread, [event('ThreadCreated'), event('MessagePosted')]);
      await t.store.append(other, [event('AgentAnnounced')]);
      const byPrefix = await t.store.readAll({
        filter: { streamPrefixes: [`${t.prefix}agent`, `${t.prefix}thread`] },
      });
      expect(byPrefix.map((e) => e.type)).toEqual([
        'AgentAnnounced',
        'AgentHeartbeat',
        'ThreadCreated',
        'MessagePosted',
      ]);
      const byType = await t.store.readAll({
        filter: { streamPrefixes: [t.prefix], eventTypes: ['AgentAnnounced', 'MessagePosted'] },
      });
      expect(byType.map((e) => [e.stream, e.type])).toEqual([
        [agent, 'AgentAnnounced'],
        [thread, 'MessagePosted'],
        [other, 'AgentAnnounced'],
      ]);
    });
  });
}
