import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openKurrentDbEventStore } from '../../src/events/kurrentdb/kurrentdb-event-store.js';
import type { NewEvent, RecordedEvent, Subscription } from '../../src/events/types.js';
import { type KurrentDbDouble, startKurrentDbDouble } from '../support/kurrentdb-double/index.js';

const NODE_ID = '12D3KooWFaultsNode';

function events(count: number, type = 'Counted'): NewEvent[] {
  return Array.from({ length: count }, (_, n) => ({ id: randomUUID(), type, data: { n } }));
}

async function take(subscription: Subscription, count: number): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const taken: RecordedEvent[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`subscription ended after ${taken.length} of ${count} events`);
    taken.push(next.value);
  }
  return taken;
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** A TCP listener that accepts connections and never answers: a hung server. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nobody listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('KurrentDB adapter: an unreachable server', () => {
  const opened: EventStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  const open = (port: number, deadlineMs: number) => {
    const store = openKurrentDbEventStore({
      connectionString: `kurrentdb://127.0.0.1:${port}?tls=false&discoveryInterval=10`,
      nodeId: NODE_ID,
      deadlineMs,
    });
    opened.push(store);
    return store;
  };

  it('fails appends, reads and deletes with STORE_UNAVAILABLE within the deadline when refused', async () => {
    const store = open(await closedPort(), 600);
    for (const attempt of [
      () => store.append('refused', events(1)),
      () => store.readStream('refused'),
      () => store.readAll({ maxCount: 1 }),
      () => store.deleteStream('refused'),
    ]) {
      const started = Date.now();
      const error = await failureOf(attempt());
      expect(isBzzzError(error, 'STORE_UNAVAILABLE')).toBe(true);
      expect(Date.now() - started).toBeLessThan(600 + 1_000);
    }
  });

  it('never hangs on a server that accepts connections and says nothing', async () => {
    const silent = await silentServer();
    try {
      const store = open(silent.port, 500);
      const started = Date.now();
      const results = await Promise.allSettled([
        store.append('silent', events(2)),
        store.readStream('silent'),
        store.getStreamMetadata('silent'),
      ]);
      expect(Date.now() - started).toBeLessThan(500 + 1_000);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect(isBzzzError(result.status === 'rejected' ? result.reason : null, 'STORE_UNAVAILABLE')).toBe(
          true,
        );
      }
    } finally {
      await silent.close();
    }
  });
});

describe('KurrentDB adapter: dropped connections', () => {
  let double: KurrentDbDouble;
  let store: EventStore;
  beforeAll(async () => {
    double = await startKurrentDbDouble();
    store = openKurrentDbEventStore({
      connectionString: double.connectionString,
      nodeId: NODE_ID,
      deadlineMs: 5_000,
    });
  });
  afterAll(async () => {
    await store.close();
    await double.stop();
  });

  it('resumes an $all subscription after the last event delivered, with no gap and no duplicate', async () => {
    const prefix = `drop${randomUUID().slice(0, 8)}-`;
    const streams = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
    for (const stream of streams) await store.append(stream, events(3));
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });
    try {
      const seen = await take(subscription, 9);
      // Writers keep appending while every connection is cut, again and again.
      // The first writer cuts every connection after every other append of its own.
      const writers = streams.map(async (stream, w) => {
        for (let i = 0; i < 8; i++) {
          await store.append(stream, events(2));
          if (w === 0 && i % 2 === 1) double.dropConnections();
        }
      });
      seen.push(...(await take(subscription, 3 * 8 * 2)));
      await Promise.all(writers);
      const stored = await store.readAll({ filter: { streamPrefixes: [prefix] } });
      expect(seen.map((event) => event.id)).toEqual(stored.map((event) => event.id));
      expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
    } finally {
      await subscription.close();
    }
  });

  it('resumes a stream subscription after the server was down for a while', async () => {
    const stream = `down${randomUUID().slice(0, 8)}`;
    await store.append(stream, events(2));
    const subscription = store.subscribeToStream(stream);
    try {
      expect((await take(subscription, 2)).map((event) => event.revision)).toEqual([0, 1]);
      double.setUnreachable(true);
      double.dropConnections();
      const probe = openKurrentDbEventStore({
        connectionString: double.connectionString,
        nodeId: NODE_ID,
        deadlineMs: 300,
      });
      const refused = await failureOf(probe.append(stream, events(1)));
      await probe.close();
      expect(isBzzzError(refused, 'STORE_UNAVAILABLE')).toBe(true);
      const next = take(subscription, 3);
      // The subscription keeps trying while the server is down: wait until it was refused again.
      const refusedBefore = double.refusedConnections;
      await expect.poll(() => double.refusedConnections, { timeout: 10_000 }).toBeGreaterThan(refusedBefore);
      double.setUnreachable(false);
      await store.append(stream, events(3));
      expect((await next).map((event) => event.revision)).toEqual([2, 3, 4]);
    } finally {
      await subscription.close();
    }
  });

  it('answers a retried append with its first result (event-id deduplication)', async () => {
    const stream = `retry${randomUUID().slice(0, 8)}`;
    const batch = events(3);
    const first = await store.append(stream, batch, { expectedRevision: 'no_stream' });
    double.dropConnections();
    const again = await store.append(stream, batch, { expectedRevision: 'no_stream' });
    expect(again).toEqual(first);
    expect(await store.readStream(stream)).toHaveLength(3);
  });
});
