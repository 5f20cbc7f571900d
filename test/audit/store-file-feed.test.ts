import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { checkpointStream, isTrailEvent, toHex } from '../../src/audit/trail.js';
import { TrailDb } from '../../src/audit/trail-db.js';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { embeddedStoreFile } from '../../src/events/sqlite/store-file.js';
import { until } from '../support/until.js';
import { TrailFixture } from './trail-fixture.js';
import { canLowerThreads, ownThreadNice, threadNiceValues } from '../support/thread-nice.js';

/** The trail's leaves and root computed from scratch: every authored event of `$all`, outside audit streams. */
async function fromScratch(store: EventStore, trail: string) {
  const events = (await store.readAll()).filter((event) => isTrailEvent(event, trail));
  const tree = new MerkleTree();
  for (const event of events) tree.append(leafHash(canonicalEventBytes(event)));
  return { events, root: toHex(tree.root()) };
}

/** What the audit database holds, leaf by leaf. */
function rows(db: TrailDb) {
  return db
    .page(0, db.count + 1)
    .map((r) => [r.index, r.eventId, r.position, r.stream, r.revision, toHex(r.leaf)]);
}

/**
 * For the embedded store on a file the trail writer's worker reads the trail's events from the file
 * itself (store-file-feed.ts) instead of following the store's subscription on the node's main thread.
 * It must record exactly what the subscription path records, see what any connection writes, and
 * keep flush(), stop() and restarts meaning what they mean.
 */
describe('trail writer: reading the store file in its worker', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(() => fixture.dispose());

  /** Lamps, another author, and events of the node that SQL does not compose (given parsed, spliced in). */
  async function mixedLog(other: EventStore = fixture.store): Promise<void> {
    await fixture.runLamps(7);
    await fixture.foreignEvents(2);
    // A metadata key sorting before `author`, and a stream that is not ASCII: both read parsed.
    await other.append('notes-1', [{ type: 'Noted', data: { n: 1 }, metadata: { actor: 'x' } }]);
    await other.append('notes-é', [{ type: 'Noted', data: { n: 2 } }]);
    await other.append('notes-1', [
      { type: 'Noted', data: { n: 3, text: 'plain' } },
      { type: 'Noted', data: { n: 4, text: '"quoted", ünïcödé' } },
    ]);
    await fixture.runLamps(5);
  }

  it('knows the embedded store’s file, and nothing for a store in memory', async () => {
    expect(embeddedStoreFile(fixture.store)).toBe(fixture.storePath);
    const memory = openSqliteEventStore({ path: ':memory:', nodeId: fixture.trail });
    expect(embeddedStoreFile(memory)).toBeUndefined();
    await memory.close();
  });

  it('does not subscribe to the store; the fallback does, and both record the same rows and root', async () => {
    const subscribed = vi.spyOn(fixture.store, 'subscribeToAllCanonical');
    const worker = fixture.writer({ checkpointEvery: 5 });
    await worker.start();
    await mixedLog();
    await worker.stop();
    expect(subscribed).not.toHaveBeenCalled();
    const scratch = await fromScratch(fixture.store, fixture.trail);
    expect(worker.size).toBe(scratch.events.length);
    expect(toHex(worker.root())).toBe(scratch.root);
    const viaFile = rows(fixture.db);
    expect(viaFile.map((row) => row[1])).toEqual(scratch.events.map((event) => event.id));

    // The same log through the subscription, into an audit database of its own.
    const otherDb = TrailDb.open(join(fixture.dir, 'audit-fallback.db'), fixture.trail);
    try {
      const fallback = fixture.writer({ db: otherDb, checkpointEvery: 5, readStoreFile: false });
      await fallback.start();
      await fallback.flush();
      expect(subscribed).toHaveBeenCalled();
      expect(toHex(fallback.root())).toBe(scratch.root);
      await fallback.stop();
      expect(rows(otherDb)).toEqual(viaFile);
    } finally {
      otherDb.close();
    }
  });

  it('records what another connection to the file writes, and flush() waits for it', async () => {
    const other = openSqliteEventStore({ path: fixture.storePath, nodeId: fixture.trail });
    try {
      const writer = fixture.writer({ checkpointEvery: 1000 });
      await writer.start();
      await mixedLog(other);
      for (let i = 0; i < 5; i++) await other.append(`elsewhere-${i % 2}`, [{ type: 'Noted', data: { i } }]);
      // Without a flush: the worker notices the other connection's commits on its own.
      const scratch = await fromScratch(fixture.store, fixture.trail);
      await until('the trail to catch up', () => (writer.size === scratch.events.length ? true : undefined));
      await other.append('elsewhere-9', [{ type: 'Noted', data: { last: true } }]);
      await writer.flush();
      const after = await fromScratch(fixture.store, fixture.trail);
      expect(writer.size).toBe(after.events.length);
      expect(toHex(writer.root())).toBe(after.root);
      expect(fixture.db.count).toBe(after.events.length);
      await writer.stop();
    } finally {
      await other.close();
    }
  });

  it('resumes after a stop part-way, with the same rows and checkpoints every N events', async () => {
    const first = fixture.writer({ checkpointEvery: 4 });
    await first.start();
    await fixture.runLamps(10);
    await until('part of the trail', () => (first.size >= 4 ? true : undefined));
    await first.stop();
    await mixedLog();
    const second = fixture.writer({ checkpointEvery: 4 });
    expect(second.size).toBe(10);
    await second.start();
    await second.flush();
    const scratch = await fromScratch(fixture.store, fixture.trail);
    expect(toHex(second.root())).toBe(scratch.root);
    await second.stop();
    expect(rows(fixture.db).map((row) => row[1])).toEqual(scratch.events.map((event) => event.id));
    const sizes = (await fixture.store.readStream(checkpointStream(fixture.trail))).map(
      (event) => (event.data as { size: number }).size,
    );
    // Every 4 events from the latest checkpoint, and at each stop.
    const expected = [4, 8, 10];
    for (let size = 14; size <= scratch.events.length; size += 4) expected.push(size);
    if (expected.at(-1) !== scratch.events.length) expected.push(scratch.events.length);
    expect(sizes).toEqual(expected);
  });

  // Linux, and a test process with room below it (the worker goes at most to nice 19).
  it.runIf(canLowerThreads)('runs its worker below the node’s priority, and only the worker', async () => {
    const own = ownThreadNice();
    const writer = fixture.writer();
    await writer.start();
    try {
      expect(threadNiceValues().filter((value) => value !== own)).toEqual([own + 10]);
    } finally {
      await writer.stop();
    }
  });

  it('follows a store in memory through its subscription', async () => {
    const memory = openSqliteEventStore({ path: ':memory:', nodeId: fixture.trail });
    try {
      const writer = fixture.writer({ store: memory, checkpointEvery: 3 });
      await writer.start();
      for (let i = 0; i < 7; i++) await memory.append('notes-1', [{ type: 'Noted', data: { i } }]);
      await writer.flush();
      expect(toHex(writer.root())).toBe((await fromScratch(memory, fixture.trail)).root);
      expect((await writer.stop())?.size).toBe(7);
    } finally {
      await memory.close();
    }
  });
});
