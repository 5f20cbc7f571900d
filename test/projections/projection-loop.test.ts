/**
 * The shared loop of the projection runner (src/projections/projection-loop.ts): one `$all`
 * subscription and one read-model transaction per batch for every view, checkpoints of views that skip
 * a batch kept in memory and written lazily, per-view failures.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { EventStore } from '../../src/events/event-store.js';
import { CheckpointStore } from '../../src/projections/checkpoint-store.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { tempStore } from '../support/temp-store.js';
import { until } from '../support/until.js';
import { countingProjection, countsOf, foldCounts } from '../support/counting-projection.js';

type Db = Database.Database;

/** A counting view that reads only some event types. */
const reading = (name: string, eventTypes: readonly string[], failOn?: string): ProjectionDefinition => ({
  ...countingProjection({ name, ...(failOn ? { failOn } : {}) }),
  eventTypes,
});

/** A read-model file opened with a statement trace: every BEGIN and COMMIT the runner issues shows. */
function tracedReadModel(path: string) {
  openReadModelDatabase(path).close(); // the checkpoint table, and WAL (kept by the file)
  const statements: string[] = [];
  const db = new Database(path, { verbose: (sql) => statements.push(String(sql)) });
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const transactions = () => statements.filter((sql) => sql.startsWith('BEGIN')).length;
  return { db, statements, transactions };
}

/** Checkpoints as stored, read through a connection of their own. */
function storedCheckpoints(path: string): Map<string, bigint | undefined> {
  const db = openReadModelDatabase(path);
  try {
    const checkpoints = new CheckpointStore(db);
    const names = db.prepare('SELECT name FROM projection_checkpoints').pluck().all() as string[];
    return new Map(names.map((name) => [name, checkpoints.get(name)?.position]));
  } finally {
    db.close();
  }
}

describe('projection loop: one subscription and one transaction per batch for every view', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  const runners: ProjectionRunner[] = [];
  const dbs: Db[] = [];
  const start = (db: Db, definitions: readonly ProjectionDefinition[]) => {
    const runner = new ProjectionRunner(store, db, definitions);
    runners.push(runner);
    runner.start();
    return runner;
  };
  beforeEach(() => {
    temp = tempStore('bzzz-loop-');
    store = temp.open();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    for (const db of dbs.splice(0)) db.close();
    await temp.dispose();
  });

  const counted = (stream: string, values: number[], type = 'Counted') =>
    store.append(
      stream,
      values.map((n) => ({ type, data: { n } })),
    );

  it('applies an event only the threads view reads in one read-model transaction, and one no view reads in none', async () => {
    const { db, statements, transactions } = tracedReadModel(`${temp.dir}/read.db`);
    dbs.push(db);
    const runner = start(db, projections);
    const system = new ActorSystem({ store, kinds: actorKinds });
    try {
      const created = await system.send('thread', 't1', {
        type: 'CreateThread',
        topic: 'design',
        participants: ['a', 'b'],
        creator: 'a',
        project: 'p',
      });
      await runner.waitFor(created.position);

      statements.length = 0;
      const joined = await system.send('thread', 't1', { type: 'JoinThread', participant_id: 'b' });
      expect(joined.events.map((event) => event.type)).toEqual(['ParticipantJoined']);
      const readers = projections.filter((p) => !p.eventTypes || p.eventTypes.includes('ParticipantJoined'));
      expect(readers.map((p) => p.name)).toEqual(['threads']);
      await runner.waitFor(joined.position);
      // The old runner: four transactions (one per view, each writing its checkpoint).
      expect(transactions()).toBe(1);
      expect(runner.status().map((status) => status.position)).toEqual(
        projections.map(() => joined.position),
      );

      // A message: read by the threads and the stats views, still one transaction.
      statements.length = 0;
      const posted = await system.send('thread', 't1', { type: 'PostMessage', sender: 'a', content: 'hi' });
      expect(posted.events.map((event) => event.type)).toEqual(['MessagePosted']);
      await runner.waitFor(posted.position);
      expect(transactions()).toBe(1);

      statements.length = 0;
      const ignored = await counted('elsewhere', [1], 'NobodyReadsThis');
      await runner.waitFor(ignored.position, 500);
      expect(transactions()).toBe(0);
      expect(runner.status().map((status) => status.position)).toEqual(
        projections.map(() => ignored.position),
      );
    } finally {
      await system.stop();
    }
  });

  it('lets views that skip a batch satisfy waitFor and settle at once, without writing anything for them', async () => {
    const path = `${temp.dir}/read.db`;
    const { db, statements, transactions } = tracedReadModel(path);
    dbs.push(db);
    const runner = start(db, [reading('counting', ['Counted']), reading('other', ['Other'])]);
    const first = await counted('o', [1], 'Other');
    await runner.waitFor(first.position);

    statements.length = 0;
    const { position } = await counted('a', [1, 2]);
    // A command that may write either type notes both: the view that reads none of them owes it too.
    runner.noteWrite(position, ['Counted', 'Other']);
    // Well before the lazy checkpoint write (1 s): skipping needs no write of its own.
    await runner.settle(['other'], 500);
    await runner.waitFor(position, 500, ['other']);
    expect(runner.status()).toEqual([
      expect.objectContaining({ name: 'counting', position, events: 2 }),
      expect.objectContaining({ name: 'other', position, events: 1 }),
    ]);
    // One transaction, the counting view's; the other view's checkpoint went along in it.
    expect(transactions()).toBe(1);
    expect(storedCheckpoints(path)).toEqual(
      new Map([
        ['counting', position],
        ['other', position],
      ]),
    );

    // Nothing for either view: no transaction, the positions move in memory only...
    statements.length = 0;
    const skipped = await counted('z', [5], 'Unread');
    await runner.settle(['counting', 'other']);
    await runner.waitFor(skipped.position, 500);
    expect(transactions()).toBe(0);
    expect(storedCheckpoints(path).get('other')).toBe(position);
    // ...and reach the table within about a second, in one transaction.
    await until('the lazy checkpoints', () =>
      storedCheckpoints(path).get('other') === skipped.position ? true : undefined,
    );
    expect(storedCheckpoints(path).get('counting')).toBe(skipped.position);
    expect(transactions()).toBe(1);
  });

  it('writes the lazy checkpoints on stop, and after a crash every view is exactly the fold of $all', async () => {
    const path = `${temp.dir}/read.db`;
    const crashed = `${temp.dir}/crashed.db`;
    const views = [
      reading('counted', ['Counted']),
      reading('both', ['Counted', 'Other']),
      reading('other', ['Other']),
      reading('rare', ['Rare']),
    ];
    const db = openReadModelDatabase(path);
    dbs.push(db);
    const runner = start(db, views);
    let written = 0n;
    for (let i = 0; i < 40; i++) {
      const type = i % 7 === 0 ? 'Other' : i === 20 ? 'Rare' : 'Counted';
      written = (await counted(`s-${i % 5}`, [i, i + 1], type)).position;
    }
    await runner.waitFor(written);
    // The tail holds nothing any view reads: every checkpoint moves past it in memory only.
    let last = written;
    for (let i = 0; i < 5; i++) last = (await counted('tail', [i], 'Unread')).position;
    await runner.waitFor(last);
    expect(runner.status().map((status) => status.position)).toEqual(views.map(() => last));
    // The file as a crash would leave it: everything committed, nothing held in memory.
    db.exec(`VACUUM INTO '${crashed}'`);
    expect(storedCheckpoints(crashed)).toEqual(new Map(views.map((view) => [view.name, written])));

    await runner.stop();
    expect(storedCheckpoints(path)).toEqual(new Map(views.map((view) => [view.name, last])));

    // After the crash, a new runner replays what the lazy checkpoints did not cover, and goes on.
    const reopened = openReadModelDatabase(crashed);
    dbs.push(reopened);
    const again = start(reopened, views);
    const after = await counted('s-1', [100], 'Other');
    await again.waitFor(after.position);
    const all = await store.readAll();
    for (const view of views) {
      expect(countsOf(reopened, view.name), view.name).toEqual(foldCounts(all, view.eventTypes));
    }
    expect(again.status().map(({ name, events }) => [name, events])).toEqual(
      views.map((view) => [
        view.name,
        all.filter((e) => !view.eventTypes || view.eventTypes.includes(e.type)).length,
      ]),
    );
  });

  it('rolls back only the failing view of a batch: the others commit it and go on, no view is corrupted', async () => {
    const path = `${temp.dir}/read.db`;
    const db = openReadModelDatabase(path);
    dbs.push(db);
    const views = [
      countingProjection(),
      countingProjection({ name: 'fragile', failOn: 'Poison' }),
      reading('counted', ['Counted']),
      reading('poisoned', ['Poison']),
    ];
    const runner = start(db, views);
    const before = await counted('a', [1, 2]);
    await runner.waitFor(before.position);
    // One append: the subscription delivers it in one batch, applied in one transaction.
    const poisoned = await store.append('a', [
      { type: 'Counted', data: { n: 3 } },
      { type: 'Poison', data: { n: 4 } },
      { type: 'Counted', data: { n: 5 } },
    ]);
    await runner.waitFor(poisoned.position, 2000, ['counting', 'counted', 'poisoned']);
    await expect(runner.waitFor(poisoned.position, 2000, ['fragile'])).rejects.toThrow(
      /fragile is failed: cannot apply Poison/,
    );
    const later = await counted('b', [10]);
    await runner.waitFor(later.position, 2000, ['counting', 'counted', 'poisoned']);

    const all = await store.readAll();
    expect(countsOf(db, 'counting')).toEqual(foldCounts(all));
    expect(countsOf(db, 'counted')).toEqual(foldCounts(all, ['Counted']));
    expect(countsOf(db, 'poisoned')).toEqual(foldCounts(all, ['Poison']));
    // The failed view is exactly what it was before the failing batch, rows and checkpoint alike.
    const fragile = runner.status().find((status) => status.name === 'fragile')!;
    expect(fragile).toMatchObject({ state: 'failed', position: before.position, events: 2 });
    expect(countsOf(db, 'fragile')).toEqual(
      foldCounts(all.filter((event) => event.position <= before.position)),
    );
    expect(storedCheckpoints(path).get('fragile')).toBe(before.position);
    expect(runner.status().filter((status) => status.state === 'running')).toHaveLength(3);

    // Restarted, each view takes up exactly where its rows are.
    await runner.stop();
    const again = start(db, views.slice(0, 1).concat(views.slice(2)));
    const last = await counted('c', [7]);
    await again.waitFor(last.position);
    const now = await store.readAll();
    expect(countsOf(db, 'counting')).toEqual(foldCounts(now));
    expect(countsOf(db, 'counted')).toEqual(foldCounts(now, ['Counted']));
  });

  it('rebuilds one view while the others keep being applied, then follows with them again', async () => {
    const db = openReadModelDatabase(':memory:');
    dbs.push(db);
    const runner = start(db, [countingProjection(), reading('counted', ['Counted'])]);
    for (let i = 0; i < 50; i++) await counted(`s-${i % 7}`, [i]);
    const appending = (async () => {
      for (let i = 0; i < 50; i++) await counted(`t-${i % 3}`, [i], i % 2 ? 'Counted' : 'Other');
    })();
    const status = await runner.rebuild('counted');
    expect(status).toMatchObject({ name: 'counted', state: 'running' });
    await appending;
    const { position } = await counted('end', [1]);
    await runner.waitFor(position);
    const all = await store.readAll();
    expect(countsOf(db, 'counting')).toEqual(foldCounts(all));
    expect(countsOf(db, 'counted')).toEqual(foldCounts(all, ['Counted']));
    expect(runner.status().map((s) => s.state)).toEqual(['running', 'running']);
  });

  it('starts the other views behind one a rebuild already follows (the subscription starts over for them)', async () => {
    const db = openReadModelDatabase(':memory:');
    dbs.push(db);
    const runner = new ProjectionRunner(store, db, [countingProjection(), reading('counted', ['Counted'])]);
    runners.push(runner);
    for (let i = 0; i < 20; i++) await counted(`s-${i % 3}`, [i], i % 4 ? 'Counted' : 'Other');
    // As `bzzz projections rebuild` does: a rebuild on a runner never started, which then follows that view.
    await runner.rebuild('counted');
    const more = await counted('s-1', [100]);
    await runner.waitFor(more.position, 2000, ['counted']);
    expect(runner.status().map((s) => [s.name, s.state])).toEqual([
      ['counting', 'starting'],
      ['counted', 'running'],
    ]);
    runner.start();
    const last = await counted('s-2', [7], 'Other');
    await runner.waitFor(last.position);
    const all = await store.readAll();
    expect(countsOf(db, 'counting')).toEqual(foldCounts(all));
    expect(countsOf(db, 'counted')).toEqual(foldCounts(all, ['Counted']));
  });

  it('takes up a view another process emptied while it runs, reads $all again for it alone', async () => {
    const path = `${temp.dir}/read.db`;
    const db = openReadModelDatabase(path);
    dbs.push(db);
    const runner = start(db, [countingProjection(), reading('counted', ['Counted'])]);
    const first = await counted('a', [1, 2, 3]);
    await runner.waitFor(first.position);
    // Another process emptied the view and its checkpoint (a CLI rebuild that stopped after its reset).
    const other = openReadModelDatabase(path);
    other.transaction(() => {
      other.exec('DELETE FROM counting_counts');
      other
        .prepare("UPDATE projection_checkpoints SET position = NULL, events = 0 WHERE name = 'counting'")
        .run();
    })();
    other.close();
    const next = await counted('b', [10]);
    await runner.waitFor(next.position);
    const all = await store.readAll();
    expect(countsOf(db, 'counting')).toEqual(foldCounts(all));
    expect(countsOf(db, 'counted')).toEqual(foldCounts(all, ['Counted']));
    expect(runner.status()).toEqual([
      expect.objectContaining({ name: 'counting', state: 'running', events: all.length }),
      expect.objectContaining({ name: 'counted', state: 'running', events: all.length }),
    ]);
  });
});
