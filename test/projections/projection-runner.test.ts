import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { ProjectionRunner, type RebuildProgress } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { countingProjection } from '../support/counting-projection.js';
import { tempStore } from '../support/temp-store.js';

type Db = ReturnType<typeof openReadModelDatabase>;
const counts = (db: Db, table = 'counting_counts') =>
  db.prepare(`SELECT stream, events, total FROM ${table} ORDER BY stream`).all();

describe('projection runner', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  const runners: ProjectionRunner[] = [];
  const start = (db: Db, projections = [countingProjection()]) => {
    const runner = new ProjectionRunner(store, db, projections);
    runners.push(runner);
    runner.start();
    return runner;
  };
  beforeEach(() => {
    temp = tempStore('bzzz-runner-');
    store = temp.open();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await temp.dispose();
  });

  async function append(stream: string, values: number[]) {
    return store.append(
      stream,
      values.map((n) => ({ type: 'Counted', data: { n } })),
    );
  }

  it('applies every event exactly once, across a restart, and waits for a position', async () => {
    const db = openReadModelDatabase(`${temp.dir}/read.db`);
    const first = start(db);
    await append('a', [1, 2, 3]);
    const { position } = await append('b', [10]);
    await first.waitFor(position);
    expect(counts(db)).toEqual([
      { stream: 'a', events: 3, total: 6 },
      { stream: 'b', events: 1, total: 10 },
    ]);
    await first.stop();
    const later = await append('a', [4]);
    const second = start(db);
    await second.waitFor(later.position);
    expect(counts(db)).toEqual([
      { stream: 'a', events: 4, total: 10 },
      { stream: 'b', events: 1, total: 10 },
    ]);
    expect(second.status()).toEqual([
      expect.objectContaining({ name: 'counting', state: 'running', position: later.position, events: 5 }),
    ]);
  });

  it('rebuilds a view whose code version changed when it starts', async () => {
    const db = openReadModelDatabase(':memory:');
    const v1 = start(db);
    const { position } = await append('a', [1, 2]);
    await v1.waitFor(position);
    await v1.stop();
    db.prepare("UPDATE counting_counts SET total = 999 WHERE stream = 'a'").run();
    const v2 = start(db, [countingProjection({ version: 2 })]);
    await v2.waitFor(position);
    expect(counts(db)).toEqual([{ stream: 'a', events: 2, total: 3 }]);
  });

  it('rolls back a failing batch, marks only that projection failed, and keeps the others going', async () => {
    const db = openReadModelDatabase(':memory:');
    const runner = start(db, [
      countingProjection(),
      countingProjection({ name: 'fragile', failOn: 'Poison' }),
    ]);
    await append('a', [1]);
    const poisoned = await store.append('a', [
      { type: 'Counted', data: { n: 5 } },
      { type: 'Poison', data: {} },
    ]);
    await runner.waitFor(poisoned.position, 2000, ['counting']);
    await expect(runner.waitFor(poisoned.position, 2000, ['fragile'])).rejects.toThrow(
      /fragile is failed: cannot apply Poison/,
    );
    const fragile = runner.status().find((s) => s.name === 'fragile')!;
    expect(fragile.state).toBe('failed');
    expect(counts(db, 'fragile_counts')).toEqual(
      fragile.position === undefined ? [] : [{ stream: 'a', events: 1, total: 1 }],
    );
    expect(counts(db)).toEqual([{ stream: 'a', events: 3, total: 6 }]);
  });

  it('fails a read-your-writes wait past its deadline with PROJECTION_TIMEOUT', async () => {
    const db = openReadModelDatabase(':memory:');
    const runner = start(db);
    const { position } = await append('a', [1]);
    await runner.waitFor(position);
    await expect(runner.waitFor(position + 1000n, 50)).rejects.toMatchObject({
      code: 'PROJECTION_TIMEOUT',
      details: { behind: ['counting'] },
    });
  });

  it('settles queries on the writes noted for the views they read (read-your-writes on the read side)', async () => {
    const db = openReadModelDatabase(':memory:');
    const runner = start(db, [
      { ...countingProjection(), eventTypes: ['Counted'] },
      { ...countingProjection({ name: 'fragile', failOn: 'Poison' }), eventTypes: ['Poison'] },
    ]);
    // Nothing noted: nothing to wait for, even while the views are still catching up.
    await runner.settle();
    const poisoned = await store.append('p', [{ type: 'Poison', data: {} }]);
    runner.noteWrite(poisoned.position, ['Poison']);
    await expect(runner.settle(['fragile'])).rejects.toThrow(/fragile is failed: cannot apply Poison/);
    // The counting view never reads Poison: nothing is owed to it.
    await runner.settle(['counting']);

    const { position } = await append('a', [1, 2]);
    runner.noteWrite(position, ['Counted']);
    // The write is answered; the next query of the counting view sees it, whenever the view gets there.
    await runner.settle(['counting']);
    expect(counts(db)).toEqual([{ stream: 'a', events: 2, total: 3 }]);

    runner.noteWrite(position + 1000n, ['Counted']);
    await expect(runner.settle(['counting'], 50)).rejects.toMatchObject({
      code: 'PROJECTION_TIMEOUT',
      details: { behind: ['counting'] },
    });
  });

  it('reports lag in events and recorded time', async () => {
    const db = openReadModelDatabase(':memory:');
    const runner = new ProjectionRunner(store, db, [countingProjection()]);
    runners.push(runner);
    await append('a', [1, 2, 3]);
    expect(await runner.lag()).toEqual([expect.objectContaining({ name: 'counting', eventsBehind: 3 })]);
    runner.start();
    const { position } = await append('a', [4]);
    await runner.waitFor(position);
    expect(await runner.lag()).toEqual([
      expect.objectContaining({ eventsBehind: 0, msBehind: 0, head: position }),
    ]);
  });

  it('rebuilds from zero to exactly the view the incremental run built, with progress', async () => {
    const db = openReadModelDatabase(':memory:');
    const runner = start(db);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let last = 0n;
    for (let i = 0; i < 300; i++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 100));
      last = (await append(`s-${Math.floor(random() * 25)}`, values)).position;
    }
    await runner.waitFor(last);
    const incremental = counts(db);
    const progress: RebuildProgress[] = [];
    await runner.rebuild('counting', (p) => progress.push(p));
    expect(counts(db)).toEqual(incremental);
    expect(progress.at(-1)).toMatchObject({ position: last, head: last, etaSeconds: 0 });
    const more = await append('s-1', [1]);
    await runner.waitFor(more.position);
    expect(runner.status()[0]).toMatchObject({ state: 'running', position: more.position });
  });

  it('never applies on top of a view another process rebuilt (it takes up the stored checkpoint)', async () => {
    const path = `${temp.dir}/shared-read.db`;
    const serverDb = openReadModelDatabase(path);
    const server = start(serverDb);
    const first = await append('a', [1, 2]);
    await server.waitFor(first.position);
    await server.stop();
    // While the server is not looking, a CLI in another process appends and rebuilds the view.
    const next = await append('a', [3]);
    const cliDb = openReadModelDatabase(path);
    const cli = new ProjectionRunner(store, cliDb, [countingProjection()]);
    await cli.rebuild('counting');
    await cli.stop();
    cliDb.close();
    server.start();
    const last = await append('a', [4]);
    await server.waitFor(last.position);
    expect(counts(serverDb)).toEqual([{ stream: 'a', events: 4, total: 10 }]);
    expect(next.position < last.position).toBe(true);
  });
});
