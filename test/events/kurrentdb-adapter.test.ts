import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { parseStoreUrl } from '../../src/config/store-url.js';
import {
  clientConnectionString,
  deadlineFromConnectionString,
} from '../../src/events/kurrentdb/connection-string.js';
import { openKurrentDbEventStore } from '../../src/events/kurrentdb/kurrentdb-event-store.js';
import { openKurrentDbStore } from '../../src/events/kurrentdb/open-kurrentdb-store.js';
import type { NewEvent, RecordedEvent, Subscription } from '../../src/events/types.js';
import { type KurrentDbDouble, startKurrentDbDouble } from '../support/kurrentdb-double/index.js';

/**
 * What the contract cannot see: how the adapter maps the port onto KurrentDB's own concepts, checked
 * on the wire and in the double's log (a test fixture) through the real client.
 */
const NODE_ID = '12D3KooWAdapterNode';

function events(count: number, type = 'Counted'): NewEvent[] {
  return Array.from({ length: count }, (_, n) => ({ id: randomUUID(), type, data: { n } }));
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

async function take(subscription: Subscription, count: number): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const taken: RecordedEvent[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error('subscription ended');
    taken.push(next.value);
  }
  return taken;
}

const unique = (label: string) => `${label}${randomUUID().slice(0, 8)}`;

describe.each([
  ['BatchAppend', true],
  ['Append', false],
])('KurrentDB adapter over %s', (_, batchAppend) => {
  let double: KurrentDbDouble;
  let store: EventStore;
  beforeAll(async () => {
    double = await startKurrentDbDouble({ batchAppend });
    store = openKurrentDbEventStore({ connectionString: double.connectionString, nodeId: NODE_ID });
  });
  afterAll(async () => {
    await store.close();
    await double.stop();
  });

  it('reports commit positions and event numbers as the server recorded them', async () => {
    const stream = unique('pos-');
    const result = await store.append(stream, events(3));
    const logged = double.log.eventsOf(stream);
    expect(result).toEqual({ nextExpectedRevision: 2, position: logged[2]!.position });
    const read = await store.readStream(stream);
    expect(read.map((event) => [event.revision, event.position])).toEqual(
      logged.map((record) => [Number(record.eventNumber), record.position]),
    );
  });

  it('names the current revision in conflicts, and dedupes retries by event id', async () => {
    const stream = unique('wev-');
    const batch = events(2);
    const first = await store.append(stream, batch);
    expect(await failureOf(store.append(stream, events(1), { expectedRevision: 5 }))).toMatchObject({
      code: 'WRONG_EXPECTED_REVISION',
      expected: 5,
      actual: 1,
    });
    expect(await store.append(stream, batch, { expectedRevision: 'no_stream' })).toEqual(first);
    expect(double.log.eventsOf(stream)).toHaveLength(2);
  });

  it('treats stream_exists on a soft-deleted stream as absent, and a tombstone as deleted', async () => {
    const stream = unique('soft-');
    await store.append(stream, events(2));
    await store.deleteStream(stream);
    expect(
      await failureOf(store.append(stream, events(1), { expectedRevision: 'stream_exists' })),
    ).toMatchObject({
      code: 'WRONG_EXPECTED_REVISION',
      actual: 'no_stream',
    });
    await store.tombstoneStream(stream);
    const error = await failureOf(store.append(stream, events(1), { expectedRevision: 'stream_exists' }));
    expect(isBzzzError(error, 'STREAM_DELETED')).toBe(true);
  });

  it('refuses an append over the server limit as INVALID_EVENT, writing nothing', async () => {
    const stream = unique('big-');
    const half = 'x'.repeat(600 * 1024);
    const error = await failureOf(
      store.append(stream, [
        { type: 'Half', data: { half } },
        { type: 'Half', data: { half } },
      ]),
    );
    expect(isBzzzError(error, 'INVALID_EVENT')).toBe(true);
    expect(double.log.eventsOf(stream)).toHaveLength(0);
  });
});

describe('KurrentDB adapter: KurrentDB concepts', () => {
  let double: KurrentDbDouble;
  let store: EventStore;
  beforeAll(async () => {
    double = await startKurrentDbDouble();
    store = openKurrentDbEventStore({ connectionString: double.connectionString, nodeId: NODE_ID });
  });
  afterAll(async () => {
    await store.close();
    await double.stop();
  });

  it("keeps stream metadata in KurrentDB's own keys, custom keys alongside", async () => {
    const stream = unique('meta-');
    await store.setStreamMetadata(stream, {
      maxCount: 3,
      maxAge: 60,
      truncateBefore: 2,
      custom: { owner: 'ops' },
    });
    const raw = double.log.eventsOf(`$$${stream}`).at(-1)!;
    expect(raw.type).toBe('$metadata');
    expect(JSON.parse(Buffer.from(raw.data).toString())).toEqual({
      owner: 'ops',
      $maxCount: 3,
      $maxAge: 60,
      $tb: 2,
    });
  });

  it('soft-deletes as KurrentDB does: metadata replaced by the marker, hidden; revisions continue', async () => {
    const stream = unique('undelete-');
    await store.setStreamMetadata(stream, { maxCount: 10 });
    await store.append(stream, events(3));
    await store.deleteStream(stream, { expectedRevision: 2 });
    expect(await store.getStreamMetadata(stream)).toEqual({});
    expect(await store.readStream(stream)).toEqual([]);
    await store.append(stream, events(1), { expectedRevision: 'no_stream' });
    expect((await store.readStream(stream)).map((event) => event.revision)).toEqual([3]);
    // The server brings the stream back by truncating before the first new event.
    expect(await store.getStreamMetadata(stream)).toEqual({ truncateBefore: 3 });
  });

  it('soft-deletes a stream that never existed as a no-op', async () => {
    const stream = unique('never-');
    await store.deleteStream(stream);
    await store.deleteStream(stream, { expectedRevision: 'no_stream' });
    expect(
      (await store.append(stream, events(1), { expectedRevision: 'no_stream' })).nextExpectedRevision,
    ).toBe(0);
  });

  it('shows no system stream or event in $all reads and subscriptions', async () => {
    const stream = unique('sys-');
    const subscription = store.subscribeToAll();
    try {
      await store.setStreamMetadata(stream, { maxCount: 5 });
      await store.append(stream, events(2));
      await store.tombstoneStream(stream);
      await store.append(unique('after-'), [{ type: 'Marker', data: {} }]);
      const systemRecords = double.log.records.filter(
        (record) => record.stream.startsWith('$') || record.type.startsWith('$'),
      );
      expect(systemRecords.length).toBeGreaterThan(3);
      const all = await store.readAll();
      expect(all.filter((event) => event.stream.startsWith('$') || event.type.startsWith('$'))).toEqual([]);
      const live = await take(subscription, all.length);
      expect(live.map((event) => event.id)).toEqual(all.map((event) => event.id));
      const backwards = await store.readAll({ direction: 'backwards', maxCount: 3 });
      expect(backwards[0]?.type).toBe('Marker');
    } finally {
      await subscription.close();
    }
  });

  it('filters $all by event types alone on the server, matching types exactly', async () => {
    const marker = unique('T');
    const stream = unique('types-');
    await store.append(stream, [
      { type: `${marker}.a`, data: {} },
      { type: `${marker}Xa`, data: {} },
      { type: `${marker}.a.b`, data: {} },
      { type: `${marker}+`, data: {} },
    ]);
    const found = await store.readAll({ filter: { eventTypes: [`${marker}.a`, `${marker}+`] } });
    expect(found.map((event) => event.type)).toEqual([`${marker}.a`, `${marker}+`]);
  });

  it('accepts esdb:// and +discover connection strings (discovery through Gossip)', async () => {
    const stream = unique('conn-');
    for (const connectionString of [
      double.connectionString.replace('kurrentdb://', 'esdb://'),
      double.connectionString.replace('kurrentdb://', 'kurrentdb+discover://'),
    ]) {
      const other = openKurrentDbEventStore({ connectionString, nodeId: NODE_ID, deadlineMs: 5_000 });
      try {
        await other.append(stream, events(1));
        expect((await other.readStream(stream)).length).toBeGreaterThan(0);
      } finally {
        await other.close();
      }
    }
  });

  it('opens from the configuration (BZZZ_STORE), with its maximum event size', async () => {
    const configured = openKurrentDbStore(
      { store: parseStoreUrl(double.connectionString), maxEventSize: 600 },
      NODE_ID,
    );
    try {
      const stream = unique('config-');
      const error = await failureOf(
        configured.append(stream, [{ type: 'Big', data: { text: 'y'.repeat(700) } }]),
      );
      expect(error).toMatchObject({ code: 'INVALID_EVENT', details: { limit: 600 } });
      await configured.append(stream, events(1));
      expect((await configured.readStream(stream))[0]?.metadata.author).toBe(NODE_ID);
    } finally {
      await configured.close();
    }
  });
});

describe('KurrentDB adapter: $maxAge against the server clock', () => {
  it('hides events older than maxAge seconds, as the server judges time', async () => {
    let now = Date.parse('2026-05-01T00:00:00Z');
    const double = await startKurrentDbDouble({ clock: () => now });
    const store = openKurrentDbEventStore({ connectionString: double.connectionString, nodeId: NODE_ID });
    try {
      const stream = unique('age-');
      await store.append(stream, events(2));
      now += 60_000;
      await store.append(stream, events(1));
      await store.setStreamMetadata(stream, { maxAge: 30 });
      expect((await store.readStream(stream)).map((event) => event.revision)).toEqual([2]);
      expect((await store.readStream(stream))[0]?.recordedAt).toBe('2026-05-01T00:01:00.000Z');
      now += 3_600_000;
      expect(await store.readStream(stream)).toEqual([]);
      expect(await store.getStreamMetadata(stream)).toEqual({ maxAge: 30 });
    } finally {
      await store.close();
      await double.stop();
    }
  });
});

describe('KurrentDB adapter: connection strings', () => {
  it('rewrites esdb:// forms and carries the deadline to the client', () => {
    expect(clientConnectionString('esdb://a:2113?tls=false', 750)).toBe(
      'kurrentdb://a:2113?tls=false&defaultDeadline=750',
    );
    expect(clientConnectionString('esdb+discover://a:2113,b:2113', 750)).toBe(
      'kurrentdb+discover://a:2113,b:2113?defaultDeadline=750',
    );
    expect(clientConnectionString('kurrentdb://a:2113?defaultDeadline=200', 750)).toBe(
      'kurrentdb://a:2113?defaultDeadline=200',
    );
    expect(deadlineFromConnectionString('kurrentdb://a:2113?tls=false&defaultDeadline=200')).toBe(200);
    expect(deadlineFromConnectionString('kurrentdb://a:2113?tls=false')).toBeUndefined();
  });
});
