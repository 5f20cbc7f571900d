import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointStream } from '../../src/audit/trail.js';
import { isBzzzError } from '../../src/errors.js';
import { TrailFixture } from './trail-fixture.js';

/**
 * The trail writer extends its tree as events arrive but writes the leaves to the audit database in
 * groups (one transaction per group, not per delivery). What must hold whatever the grouping: the
 * database catches up on its own, flush() and stop() leave it complete, nothing is signed that is not
 * recorded, and a conflict with the database stops the writer before anything more is signed.
 */
describe('trail writer: grouped leaf writes', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(() => fixture.dispose());

  it('records the leaves and the position followed soon after, without a flush', async () => {
    const writer = fixture.writer({ checkpointEvery: 1000 });
    await writer.start();
    await fixture.runLamps(7);
    await fixture.foreignEvents(2);
    await expect.poll(() => writer.size, { timeout: 5000 }).toBe(7);
    await expect.poll(() => fixture.db.count, { timeout: 5000 }).toBe(7);
    const [head] = await fixture.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    await expect.poll(() => fixture.db.followed, { timeout: 5000 }).toBe(head!.position);
    await writer.stop();
  });

  it('has every leaf recorded after flush(), and before each checkpoint it signs', async () => {
    const writer = fixture.writer({ checkpointEvery: 4 });
    await writer.start();
    await fixture.runLamps(10);
    await writer.flush();
    expect(fixture.db.count).toBe(10);
    expect(fixture.db.followed).toBe(writer.followed);
    const signed = await fixture.store.readStream(checkpointStream(fixture.trail));
    for (const event of signed) {
      expect(fixture.db.count).toBeGreaterThanOrEqual((event.data as { size: number }).size);
    }
    await writer.stop();
    expect(fixture.db.count).toBe(10);
  });

  it('fails on a leaf that conflicts with the audit database, and signs nothing after', async () => {
    await fixture.runLamps(3);
    const errors: unknown[] = [];
    const writer = fixture.writer({ checkpointEvery: 2, onError: (error) => errors.push(error) });
    // Meanwhile another writer of the node recorded another event as trail index 0.
    fixture.db.record([
      {
        index: 0,
        eventId: '00000000-0000-4000-8000-000000000000',
        position: 1n,
        stream: 'lamp-x',
        revision: 0,
        leaf: new Uint8Array(32),
      },
    ]);
    await writer.start();
    await expect(writer.stop()).rejects.toSatisfy((error) => isBzzzError(error, 'AUDIT_DB_CONFLICT'));
    expect(writer.state).toBe('failed');
    expect(errors.some((error) => isBzzzError(error, 'AUDIT_DB_CONFLICT'))).toBe(true);
    await expect(writer.checkpoint()).rejects.toSatisfy((error) => isBzzzError(error, 'AUDIT_DB_CONFLICT'));
    expect(await fixture.store.readStream(checkpointStream(fixture.trail))).toEqual([]);
  });
});
