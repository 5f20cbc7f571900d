/**
 * The projection worker (src/projections/thread/): the views applied and written in a worker thread,
 * over the `$all` the main thread forwards, with the main thread mirroring where they stand for the
 * read-your-writes waits, and reading the rows through its own connection.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { CheckpointStore } from '../../src/projections/checkpoint-store.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { ProjectionThread } from '../../src/projections/thread/projection-thread.js';
import { projections as counting } from '../support/thread-projections.js';
import { tempStore } from '../support/temp-store.js';
import { until } from '../support/until.js';
import { countsOf, foldCounts } from '../support/counting-projection.js';

type Db = Database.Database;

/** The module the worker loads the counting views from (the same definitions as `counting`). */
const MODULE = new URL('../support/thread-projections.ts', import.meta.url);
const WAIT_MS = 20_000;

function storedCheckpoints(db: Db): Map<string, bigint | undefined> {
  const checkpoints = new CheckpointStore(db);
  const names = db.prepare('SELECT name FROM projection_checkpoints').pluck().all() as string[];
  return new Map(names.map((name) => [name, checkpoints.get(name)?.position]));
}

describe('projection thread: the views applied in a worker thread', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  let path: string;
  const threads: ProjectionThread[] = [];
  const dbs: Db[] = [];
  const open = () => {
    const db = openReadModelDatabase(path);
    dbs.push(db);
    return db;
  };
  const start = (db: Db, definitions: readonly ProjectionDefinition[] = counting) => {
    const thread = new ProjectionThread(store, db, definitions, { module: MODULE });
    threads.push(thread);
    thread.start();
    return thread;
  };
  const counted = (stream: string, values: number[], type = 'Counted') =>
    store.append(
      stream,
      values.map((n) => ({ type, data: { n } })),
    );
  /** Every counting view holds exactly the fold of the log it reads. */
  async function expectFolded(db: Db, definitions: readonly ProjectionDefinition[] = counting) {
    const all = await store.readAll();
    for (const { name, eventTypes } of definitions)
      expect(countsOf(db, name), name).toEqual(foldCounts(all, eventTypes));
  }

  beforeEach(() => {
    temp = tempStore('bzzz-thread-');
    store = temp.open();
    path = `${temp.dir}/read-model.db`;
  });
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((thread) => thread.stop()));
    for (const db of dbs.splice(0)) db.close();
    await temp.dispose();
  });

  it('applies the events in the worker: waits resolve, and this connection reads what it wrote', async () => {
    const db = open();
    const definitions = counting.slice(0, 2);
    const thread = start(db, definitions);
    // The tables exist before the worker does: queries may run at once.
    expect(countsOf(db, 'counted')).toEqual([]);
    expect(thread.status().map(({ name, state }) => [name, state])).toEqual([
      ['counted', 'starting'],
      ['both', 'starting'],
    ]);

    const first = await counted('a', [1, 2]);
    thread.noteWrite(first.position, ['Counted']);
    await thread.settle(['counted'], WAIT_MS);
    expect(countsOf(db, 'counted')).toEqual([{ stream: 'a', events: 2, total: 3 }]);

    await counted('b', [5], 'Other');
    await counted('a', [7]);
    // Events no view reads, last: the views move past them, the waits for them resolve.
    let last = first.position;
    for (let i = 0; i < 3; i++) last = (await counted('z', [i], 'Unread')).position;
    await thread.waitFor(last, WAIT_MS);
    await expectFolded(db, definitions);
    const all = await store.readAll();
    expect(thread.status()).toEqual([
      expect.objectContaining({ name: 'counted', state: 'running', position: last, events: 3 }),
      expect.objectContaining({ name: 'both', state: 'running', position: last, events: 4 }),
    ]);
    expect(all.at(-1)!.position).toBe(last);
    const lag = await thread.lag();
    expect(lag.map(({ name, head, eventsBehind }) => [name, head, eventsBehind])).toEqual([
      ['counted', last, 0],
      ['both', last, 0],
    ]);
  });

  it('catches up from zero at the pace of the worker, then follows live events', async () => {
    for (let i = 0; i < 60; i++) {
      await store.append(
        `s-${i % 7}`,
        Array.from({ length: 100 }, (_, k) => ({ type: k % 3 ? 'Counted' : 'Unread', data: { n: k } })),
      );
    }
    const db = open();
    const thread = start(db);
    const [head] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    await thread.waitFor(head!.position, WAIT_MS);
    const live = await counted('live', [1, 2, 3]);
    await thread.waitFor(live.position, WAIT_MS);
    await expectFolded(db);
  });

  it('stops with its checkpoints written, and a new thread resumes from them: nothing twice, nothing missed', async () => {
    const db = open();
    const first = start(db);
    for (let i = 0; i < 20; i++) await counted(`s-${i % 3}`, [i, i + 1], i % 4 ? 'Counted' : 'Other');
    const unread = await counted('z', [0], 'Unread');
    await first.waitFor(unread.position, WAIT_MS);
    await first.stop();
    expect(first.status().map((status) => status.state)).toEqual(['stopped', 'stopped', 'stopped']);
    await expect(first.waitFor(unread.position + 1n, WAIT_MS)).rejects.toThrow(/counted is stopped/);
    // The checkpoints held in memory only (past the unread event) were written on stop.
    expect(storedCheckpoints(db)).toEqual(new Map(counting.map(({ name }) => [name, unread.position])));

    // Written while no worker runs.
    for (let i = 0; i < 10; i++) await counted(`s-${i % 4}`, [100 + i], i % 2 ? 'Counted' : 'Other');
    const again = start(open());
    expect(again.status().map(({ position }) => position)).toEqual(counting.map(() => unread.position));
    const last = await counted('end', [1]);
    await again.waitFor(last.position, WAIT_MS);
    await expectFolded(db);
    const all = await store.readAll();
    expect(again.status().map(({ name, events }) => [name, events])).toEqual(
      counting.map(({ name, eventTypes }) => [name, all.filter((e) => eventTypes!.includes(e.type)).length]),
    );
  });

  it('reports a view that fails in the worker, and the others go on', async () => {
    const db = open();
    const thread = start(db);
    const before = await counted('a', [1, 2]);
    await thread.waitFor(before.position, WAIT_MS);
    const poisoned = await store.append('a', [
      { type: 'Counted', data: { n: 3 } },
      { type: 'Poison', data: { n: 4 } },
    ]);
    await expect(thread.waitFor(poisoned.position, WAIT_MS, ['fragile'])).rejects.toThrow(
      /fragile is failed: cannot apply Poison/,
    );
    const later = await counted('b', [10]);
    await thread.waitFor(later.position, WAIT_MS, ['counted', 'both']);
    await expectFolded(db, counting.slice(0, 2));
    expect(thread.status().find((status) => status.name === 'fragile')).toMatchObject({
      state: 'failed',
      position: before.position,
      error: 'cannot apply Poison',
    });
  });

  it('fails every view when the worker dies mid-run, rejecting the waits; a new thread repairs nothing because nothing tore', async () => {
    const definitions = counting.slice(0, 2);
    for (let i = 0; i < 80; i++) {
      await store.append(
        `s-${i % 5}`,
        Array.from({ length: 100 }, (_, k) => ({ type: k % 2 ? 'Counted' : 'Other', data: { n: k } })),
      );
    }
    const [head] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    const db = open();
    const thread = start(db, definitions);
    // Waits for a position the log does not hold yet: pending whether the catch-up is over or not.
    const ahead = head!.position + 1n;
    const waiting = thread.waitFor(ahead, WAIT_MS);
    thread.noteWrite(ahead, ['Counted']);
    const settling = thread.settle(['counted'], WAIT_MS);
    await until('some progress', () =>
      thread.status().some(({ position }) => position !== undefined) ? true : undefined,
    );
    await thread.terminate();
    const crash =
      /projection (counted|both) is failed: the projection worker exited unexpectedly \(exit code 1\)/;
    await expect(waiting).rejects.toThrow(crash);
    await expect(settling).rejects.toThrow(crash);
    await expect(thread.waitFor(ahead, WAIT_MS)).rejects.toThrow(crash);
    expect(thread.status().map(({ state, error }) => [state, error])).toEqual(
      definitions.map(() => ['failed', 'the projection worker exited unexpectedly (exit code 1)']),
    );
    // What the worker committed is consistent: each view is the fold of the log up to its checkpoint.
    const all = await store.readAll();
    for (const [name, position] of storedCheckpoints(db)) {
      const types = definitions.find((definition) => definition.name === name)!.eventTypes;
      const upTo = all.filter((event) => position !== undefined && event.position <= position);
      expect(countsOf(db, name), name).toEqual(foldCounts(upTo, types));
    }

    const again = start(open(), definitions);
    await again.waitFor(head!.position, WAIT_MS);
    await expectFolded(db, definitions);
  });

  it('takes up a view that a rebuild from another connection (the CLI) replaced while it runs', async () => {
    const db = open();
    const definitions = counting.slice(0, 2);
    const thread = start(db, definitions);
    for (let i = 0; i < 10; i++) await counted(`s-${i % 3}`, [i], i % 2 ? 'Counted' : 'Other');
    const first = await counted('a', [1, 2, 3]);
    await thread.waitFor(first.position, WAIT_MS);

    // As `bzzz projections rebuild counted` does in its own process: its own connection and runner.
    const cli = openReadModelDatabase(path);
    const rebuilder = new ProjectionRunner(store, cli, definitions);
    await rebuilder.rebuild('counted');
    await rebuilder.stop();
    cli.close();

    const next = await counted('b', [10]);
    await thread.waitFor(next.position, WAIT_MS);
    await expectFolded(db, definitions);
    const all = await store.readAll();
    expect(thread.status()).toEqual([
      expect.objectContaining({
        name: 'counted',
        state: 'running',
        events: all.filter((event) => event.type === 'Counted').length,
      }),
      expect.objectContaining({ name: 'both', state: 'running', events: all.length }),
    ]);
  });

  it('fails every view with the reason when the worker cannot start', async () => {
    const db = open();
    // The main thread knows a view the worker's module does not.
    const thread = start(db, [...counting.slice(0, 1), { ...counting[0]!, name: 'unknown' }]);
    await expect(thread.waitFor(1n, WAIT_MS)).rejects.toThrow(
      /is failed: the projection worker exited unexpectedly \(exit code 1\): the projection worker has no projection unknown of version 1/,
    );
    expect(thread.status().map(({ state }) => state)).toEqual(['failed', 'failed']);
  });

  it('wants a read-model file', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    expect(() => new ProjectionThread(store, db, counting, { module: MODULE })).toThrow(/read-model file/);
  });
});
