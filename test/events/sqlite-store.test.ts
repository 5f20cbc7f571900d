import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { prepareEvents } from '../../src/events/prepare-events.js';
import { applyAppend, RETRY_WINDOW } from '../../src/events/sqlite/apply-append.js';
import { GroupCommit } from '../../src/events/sqlite/group-commit.js';
import { openStoreDatabase } from '../../src/events/sqlite/schema.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { prepareStatements } from '../../src/events/sqlite/statements.js';
import { uncachedStreamRows } from '../../src/events/sqlite/stream-cache.js';

const context = { author: 'node-under-test', now: Date.now, maxEventSize: 1 << 20 };
const oneEvent = () => prepareEvents([{ type: 'Ping', data: { at: 1 } }], context);

describe('embedded store internals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits appends of one event-loop turn in one transaction, each with its own check', async () => {
    const db = openStoreDatabase(join(dir, 'group.db'), 'FULL');
    const statements = prepareStatements(db);
    let commits = 0;
    const streams = uncachedStreamRows(statements);
    const group = new GroupCommit(db, {
      apply: (job) => applyAppend(statements, streams, job, Date.now()),
      afterCommit: () => commits++,
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) =>
        group.submit({ stream: `s-${i}`, events: oneEvent(), expected: i === 10 ? 3 : 'no_stream' }),
      ),
    );
    expect(commits).toBe(1);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(63);
    expect(outcomes[10]).toMatchObject({ status: 'rejected', reason: { code: 'WRONG_EXPECTED_REVISION' } });
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 63 });
    await group.submit({ stream: 's-0', events: oneEvent(), expected: 0 });
    expect(commits).toBe(2);
    db.close();
  });

  it('keeps the file in WAL mode', async () => {
    const path = join(dir, 'wal.db');
    const store = openSqliteEventStore({ path, nodeId: 'n' });
    await store.append('s', [{ type: 'T', data: {} }]);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  describe('when another process holds the write lock', () => {
    let store: EventStore;
    let holder: Database.Database;
    beforeEach(() => {
      const path = join(dir, 'locked.db');
      store = openSqliteEventStore({ path, nodeId: 'n', busyTimeoutMs: 20 });
      holder = new Database(path);
    });
    afterEach(async () => {
      holder.close();
      await store.close();
    });

    it('fails the whole group as STORE_UNAVAILABLE, writes nothing, and recovers once the lock is gone', async () => {
      await store.append('a', [{ type: 'First', data: {} }]);
      holder.exec('BEGIN IMMEDIATE');
      const outcomes = await Promise.allSettled([
        store.append('a', [{ type: 'Blocked', data: {} }]),
        store.append('b', [{ type: 'Blocked', data: {} }]),
      ]);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(isBzzzError(outcome.status === 'rejected' ? outcome.reason : null, 'STORE_UNAVAILABLE')).toBe(
          true,
        );
      }
      holder.exec('ROLLBACK');
      expect((await store.readAll()).map((e) => e.type)).toEqual(['First']);
      expect(
        (await store.append('a', [{ type: 'Second', data: {} }], { expectedRevision: 0 }))
          .nextExpectedRevision,
      ).toBe(1);
    });
  });

  it('upgrades a version 1 file: its events stay readable and the event id index is dropped', async () => {
    const path = join(dir, 'v1.db');
    const raw = new Database(path);
    raw.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL,
      event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at INTEGER NOT NULL);
      CREATE UNIQUE INDEX events_by_stream ON events (stream, revision);
      CREATE INDEX events_by_id ON events (event_id);`);
    raw
      .prepare('INSERT INTO events VALUES (1, ?, 0, ?, ?, ?, ?, ?)')
      .run('a', '00000000-0000-4000-8000-000000000001', 'Old', '{}', '{"author":"n"}', 0);
    raw.pragma('user_version = 1');
    raw.close();
    const store = openSqliteEventStore({ path, nodeId: 'n' });
    expect((await store.readStream('a')).map((e) => e.type)).toEqual(['Old']);
    await store.close();
    const check = new Database(path, { readonly: true });
    const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    check.close();
    expect(indexes).not.toContain('events_by_id');
  });

  it("looks for an any-revision retry in the stream's last RETRY_WINDOW events only", async () => {
    const store = openSqliteEventStore({ path: join(dir, 'window.db'), nodeId: 'n' });
    const [early] = prepareEvents([{ type: 'Early', data: {} }], context);
    const again = { id: early!.id, type: 'Early', data: {} };
    const first = await store.append('w', [again]);
    expect(await store.append('w', [again])).toEqual(first);
    const filler = Array.from({ length: RETRY_WINDOW }, () => ({ type: 'Filler', data: {} }));
    await store.append('w', filler);
    // Out of the window, an `any` retry is a new write (as KurrentDB's best effort for `any`) …
    expect((await store.append('w', [again])).nextExpectedRevision).toBe(RETRY_WINDOW + 1);
    // … while a retry with the exact revision it was written at is still found.
    expect(await store.append('w', [again], { expectedRevision: 'no_stream' })).toEqual(first);
    await store.close();
  });

  it('sees what another connection appended before checking an expected revision', async () => {
    const path = join(dir, 'shared.db');
    const a = openSqliteEventStore({ path, nodeId: 'a' });
    const b = openSqliteEventStore({ path, nodeId: 'b' });
    const ping = () => [{ type: 'Ping', data: {} }];
    await a.append('s', ping(), { expectedRevision: 'no_stream' });
    await b.append('s', ping(), { expectedRevision: 0 });
    const stale = await a.append('s', ping(), { expectedRevision: 0 }).catch((error: unknown) => error);
    expect(isBzzzError(stale, 'WRONG_EXPECTED_REVISION')).toBe(true);
    expect((await a.append('s', ping(), { expectedRevision: 1 })).nextExpectedRevision).toBe(2);
    await b.deleteStream('s');
    expect((await a.append('s', ping(), { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(3);
    await b.tombstoneStream('s');
    const dead = await a.append('s', ping()).catch((error: unknown) => error);
    expect(isBzzzError(dead, 'STREAM_DELETED')).toBe(true);
    await a.close();
    await b.close();
  });

  it('refuses a file written by a newer schema', () => {
    const path = join(dir, 'future.db');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openSqliteEventStore({ path, nodeId: 'n' })).toThrowError(/schema version 99/);
  });
});
