/**
 * The main thread's side of the projection worker's `$all` (src/projections/thread/event-forwarder.ts):
 * batches cut down to the events some view reads, and a bounded number of them in flight.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { fromWire } from '../../src/events/event-wire.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { EventForwarder } from '../../src/projections/thread/event-forwarder.js';
import { MAX_BATCHES_IN_FLIGHT, type ToWorker } from '../../src/projections/thread/protocol.js';
import { tempStore } from '../support/temp-store.js';
import { until } from '../support/until.js';

describe('event forwarder: the projection worker fed from the main thread', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  beforeEach(() => {
    temp = tempStore('bzzz-forwarder-');
    store = temp.open();
  });
  afterEach(() => temp.dispose());

  it('sends the events some view reads and each batch its last one, never more than the bound unacknowledged', async () => {
    for (let i = 0; i < 40; i++) {
      await store.append(
        `s-${i % 3}`,
        Array.from({ length: 100 }, (_, k) => ({ type: k % 5 ? 'Unread' : 'Counted', data: { n: k } })),
      );
    }
    const batches: RecordedEvent[][] = [];
    let unacked = 0;
    let mostUnacked = 0;
    // A worker as slow as allowed: it acknowledges only once the forwarder must wait for it.
    const post = (message: ToWorker) => {
      if (message.type !== 'events') return;
      batches.push(message.events.map(fromWire));
      mostUnacked = Math.max(mostUnacked, ++unacked);
      if (unacked === MAX_BATCHES_IN_FLIGHT) {
        setImmediate(() => {
          forwarder.acked(1, unacked);
          unacked = 0;
        });
      }
    };
    const forwarder = new EventForwarder(store, new Set(['Counted']), post);
    forwarder.subscribe(1, 'start');
    const all = await store.readAll();
    const head = all.at(-1)!.position;
    await until('the head', () => (batches.at(-1)?.at(-1)?.position === head ? true : undefined));
    await forwarder.closeAll();

    expect(batches.length).toBeGreaterThan(MAX_BATCHES_IN_FLIGHT);
    expect(mostUnacked).toBe(MAX_BATCHES_IN_FLIGHT);
    const sent = batches.flat();
    for (const batch of batches) {
      for (const event of batch.slice(0, -1)) expect(event.type).toBe('Counted');
    }
    expect(sent.filter((event) => event.type === 'Counted').map((event) => event.position)).toEqual(
      all.filter((event) => event.type === 'Counted').map((event) => event.position),
    );
    expect(sent.length).toBeLessThan(all.length / 2);
    // In order, none twice, each as the store reads it.
    const positions = sent.map((event) => event.position);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    expect(sent.at(-1)).toEqual({ ...all.at(-1)! });
  });

  it('starts after a position, and stops sending once the worker closes the subscription', async () => {
    const first = await store.append('a', [{ type: 'Counted', data: { n: 1 } }]);
    const messages: ToWorker[] = [];
    const forwarder = new EventForwarder(store, undefined, (message) => messages.push(message));
    forwarder.subscribe(7, { after: first.position });
    const second = await store.append('a', [{ type: 'Other', data: { n: 2 } }]);
    await until('the live event', () => (messages.length > 0 ? true : undefined));
    expect(messages).toEqual([
      { type: 'events', id: 7, events: [expect.objectContaining({ position: second.position })] },
    ]);
    // A live event crosses with its stored JSON text (not parsed here), and is whole on arrival.
    const [live] = (messages[0] as Extract<ToWorker, { type: 'events' }>).events;
    expect(live).toHaveProperty('dataText', '{"n":2}');
    expect(fromWire(structuredClone(live!))).toEqual({
      id: expect.any(String),
      stream: 'a',
      revision: 1,
      position: second.position,
      type: 'Other',
      data: { n: 2 },
      metadata: expect.objectContaining({ author: '12D3KooWTestNode', schemaVersion: 1 }),
      recordedAt: expect.any(String),
    });
    await forwarder.close(7);
    // Another subscription, open meanwhile, gets the next event: the closed one would have by then.
    const seen: ToWorker[] = [];
    const other = new EventForwarder(store, undefined, (message) => seen.push(message));
    other.subscribe(1, { after: second.position });
    const third = await store.append('a', [{ type: 'Counted', data: { n: 3 } }]);
    await until('the next event elsewhere', () =>
      seen.some((message) => message.type === 'events' && message.events[0]!.position === third.position)
        ? true
        : undefined,
    );
    await other.closeAll();
    expect(messages).toHaveLength(1);
  });
});
