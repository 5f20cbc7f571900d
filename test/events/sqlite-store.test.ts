import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { prepareEvents } from '../../src/events/prepare-events.js';
import { applyAppend } from '../../src/events/sqlite/apply-append.js';
import { GroupCommit } from '../../src/events/sqlite/group-commit.js';
import { openStoreDatabase } from '../../src/events/sqlite/schema.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { prepareStatements } from '../../src/events/sqlite/statements.js';

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
    const group = new GroupCommit(
      db,
      (job) => applyAppend(statements, job, Date.now()),
      () => commits++,
    );
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

  it('refuses a file written by a newer schema', () => {
    const path = join(dir, 'future.db');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openSqliteEventStore({ path, nodeId: 'n' })).toThrowError(/schema version 99/);
  });
});
