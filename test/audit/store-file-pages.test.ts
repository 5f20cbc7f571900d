import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CanonicalPagesOptions, openCanonicalPages } from '../../src/audit/store-file-pages.js';
import { AUDIT_STREAM_PREFIX } from '../../src/audit/trail.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import type { CanonicalPage } from '../../src/events/canonical-reads.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { registerStoreFile } from '../../src/events/sqlite/store-file.js';
import { TrailFixture } from './trail-fixture.js';

/**
 * Verification reads the log's canonical pages in a worker thread from the embedded store's file
 * (store-file-pages.ts), beside its hashing. The pages, and so the reports, must be the ones the store
 * gives on the verifying thread.
 */
describe('verification reading the store file in a worker', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(() => fixture.dispose());

  async function mixedTrail(): Promise<void> {
    const writer = fixture.writer({ checkpointEvery: 6 });
    await writer.start();
    await fixture.runLamps(9);
    await fixture.foreignEvents(2);
    await fixture.store.append('notes-1', [{ type: 'Noted', data: { n: 1 }, metadata: { actor: 'x' } }]);
    await fixture.store.append('notes-é', [{ type: 'Noted', data: { n: 2, text: '"ünï"' } }]);
    await fixture.runLamps(8);
    await writer.stop();
    await fixture.runLamps(2);
  }

  const pageOptions = (readStoreFile: boolean): CanonicalPagesOptions => ({
    author: fixture.trail,
    excludeStreamPrefixes: [AUDIT_STREAM_PREFIX],
    fromPosition: 0n,
    pageSize: 4,
    readStoreFile,
  });

  /** Every page of the log, once the worker (if any) reads them; and whether it did. */
  async function allPages(store: EventStore, options: CanonicalPagesOptions) {
    const pages = openCanonicalPages(store, options);
    try {
      const byWorker = await pages.ready();
      const read: CanonicalPage[] = [];
      for (;;) {
        const page = await pages.next();
        read.push(page);
        if (page.scanned < options.pageSize) return { read, byWorker };
      }
    } finally {
      await pages.close();
    }
  }

  it('gives the pages the store gives on this thread', async () => {
    await mixedTrail();
    const here = await allPages(fixture.store, pageOptions(false));
    const worker = await allPages(fixture.store, pageOptions(true));
    expect(here.byWorker).toBe(false);
    expect(worker.byWorker).toBe(true);
    expect(worker.read).toEqual(here.read);
    // The log holds entries of every kind: composed, and given parsed (other authors, checkpoints, odd ones).
    expect(here.read.some((page) => page.composed.count > 0 && page.parsed.length > 0)).toBe(true);
    expect(here.read.reduce((sum, page) => sum + page.scanned, 0)).toBeGreaterThan(20);
  });

  it('gives the same pages when a gap in the positions (a deleted row) breaks the ranges', async () => {
    await mixedTrail();
    await fixture.editStoreFile((db) => {
      db.prepare('DELETE FROM events WHERE position = 10').run();
    });
    const here = await allPages(fixture.store, pageOptions(false));
    const worker = await allPages(fixture.store, pageOptions(true));
    expect(worker.read).toEqual(here.read);
    expect(here.read.flatMap((page) => page.composed.positions)).not.toContain(10n);
  });

  it('reads on this thread when the worker cannot read the file', async () => {
    await mixedTrail();
    const copy = openSqliteEventStore({ path: ':memory:', nodeId: fixture.trail });
    try {
      for (const event of await fixture.store.readAll()) {
        await copy.append(event.stream, [
          { id: event.id, type: event.type, data: event.data, metadata: event.metadata },
        ]);
      }
      // A file the worker cannot open: it says so, and this thread reads the pages.
      registerStoreFile(copy, join(fixture.dir, 'no-such-store.db'));
      const here = await allPages(copy, pageOptions(false));
      const fallback = await allPages(copy, pageOptions(true));
      expect(fallback.byWorker).toBe(false);
      expect(fallback.read).toEqual(here.read);
    } finally {
      await copy.close();
    }
  });

  it('gives the report of the verification on this thread, clean or not', async () => {
    await mixedTrail();
    const options = {
      store: fixture.store,
      trail: fixture.trail,
      publicKey: fixture.identity.publicKey,
      recorded: fixture.db,
      pageSize: 4,
    };
    const clean = await verifyTrail({ ...options, readStoreFile: true });
    expect(clean).toMatchObject({ ok: true, trailEvents: 21, uncovered: 2 });
    expect(clean).toEqual(await verifyTrail({ ...options, readStoreFile: false }));

    // An event's data changed in the file: the first failing position is named, either way.
    await fixture.editStoreFile((db) => {
      db.prepare("UPDATE events SET data = '{\"n\":99}' WHERE stream = 'notes-é'").run();
    });
    const tampered = { ...options, store: fixture.store, recorded: fixture.db };
    const viaWorker = await verifyTrail({ ...tampered, readStoreFile: true });
    expect(viaWorker.ok).toBe(false);
    expect(viaWorker.issues[0]).toMatchObject({ reason: 'leaf-mismatch', stream: 'notes-é' });
    expect(viaWorker).toEqual(await verifyTrail({ ...tampered, readStoreFile: false }));
  });
});
