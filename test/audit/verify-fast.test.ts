import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrailEvent } from '../../src/audit/trail.js';
import { verifyTrailFast } from '../../src/audit/verify-fast.js';
import { verifyTrail, verifyTrailFully } from '../../src/audit/verify-trail.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { TrailFixture } from './trail-fixture.js';

/**
 * The fast pass hashes the stored text without parsing it; it may only ever return the report the full
 * pass gives, and only a clean one. These tests hold it to that, and check it declines (the full pass
 * then names the problem) where stored text and canonical bytes part.
 */
describe('fast store verification', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(() => fixture.dispose());

  const options = (withRecorded = true, pageSize?: number) => ({
    store: fixture.store,
    trail: fixture.trail,
    publicKey: fixture.identity.publicKey,
    ...(withRecorded ? { recorded: fixture.db } : {}),
    ...(pageSize === undefined ? {} : { pageSize }),
  });

  /** An event of the node whose metadata holds `","metadata":` itself (custom keys), and ordinary ones. */
  async function trailWithAwkwardEvents(): Promise<RecordedEvent> {
    const writer = fixture.writer({ checkpointEvery: 10 });
    await writer.start();
    await fixture.runLamps(12);
    const { position } = await fixture.store.append('notes-1', [
      {
        type: 'Noted',
        data: { text: 'x', id: 'y', metadata: { nested: true } },
        metadata: { id: 'q', metadata: { author: fixture.trail } },
      },
    ]);
    await fixture.foreignEvents(2);
    await fixture.runLamps(12);
    await writer.stop();
    // Events after the last checkpoint and beyond the audit database: nothing vouches for them.
    await fixture.runLamps(3);
    const [awkward] = await fixture.store.readAll({ fromPosition: position, maxCount: 1 });
    return awkward!;
  }

  it('gives word for word the full pass’s report on a clean trail, with and without the audit database', async () => {
    await trailWithAwkwardEvents();
    for (const withRecorded of [true, false]) {
      for (const pageSize of [undefined, 4]) {
        const fast = await verifyTrailFast(options(withRecorded, pageSize));
        expect(fast).toBeDefined();
        expect(fast).toEqual(await verifyTrailFully(options(withRecorded, pageSize)));
        expect(fast).toMatchObject({ ok: true, trailEvents: 28, uncovered: 3 });
      }
    }
  });

  it('declines a row whose data and metadata columns were re-split with the same bytes: unreadable-event', async () => {
    const awkward = await trailWithAwkwardEvents();
    // Move the start of the metadata text, up to the embedded `"id":"q","metadata":`, to the end of the
    // data text, and take "q" as the event id: the bytes composed from the row do not change at all.
    await fixture.editStoreFile((db) => {
      const row = db
        .prepare('SELECT data, metadata, event_id FROM events WHERE position = ?')
        .get(awkward.position) as { data: string; metadata: string; event_id: string };
      const cut = row.metadata.indexOf(',"id":"q","metadata":');
      const data = `${row.data},"id":${JSON.stringify(row.event_id)},"metadata":${row.metadata.slice(0, cut)}`;
      const metadata = row.metadata.slice(cut + ',"id":"q","metadata":'.length);
      expect(metadata.startsWith(`{"author":"${fixture.trail}"`)).toBe(true);
      db.prepare('UPDATE events SET data = ?, metadata = ?, event_id = ? WHERE position = ?').run(
        data,
        metadata,
        'q',
        awkward.position,
      );
    });
    expect(await verifyTrailFast(options())).toBeUndefined();
    const report = await verifyTrail(options());
    expect(report.issues[0]).toMatchObject({ reason: 'unreadable-event', position: awkward.position });
  });

  it('declines stored text that is not canonical; the full pass, which re-serialises it, still verifies', async () => {
    await trailWithAwkwardEvents();
    const target = (await fixture.store.readAll()).filter((e) => isTrailEvent(e, fixture.trail))[5]!;
    await fixture.editStoreFile((db) => {
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        JSON.stringify(target.data, null, 2),
        target.position,
      );
    });
    for (const withRecorded of [true, false]) {
      expect(await verifyTrailFast(options(withRecorded))).toBeUndefined();
      expect(await verifyTrail(options(withRecorded))).toMatchObject({ ok: true, trailEvents: 28 });
    }
  });

  it('declines an unsigned event beyond the audit database whose stored text changed', async () => {
    await trailWithAwkwardEvents();
    const last = (await fixture.store.readAll()).filter((e) => isTrailEvent(e, fixture.trail)).at(-1)!;
    await fixture.editStoreFile((db) => {
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run('{"by":', last.position);
    });
    expect(await verifyTrailFast(options())).toBeUndefined();
    const report = await verifyTrail(options());
    expect(report.issues[0]).toMatchObject({ reason: 'unreadable-event', position: last.position });
  });
});
