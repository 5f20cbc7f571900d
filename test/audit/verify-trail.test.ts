import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_EVENT_TYPE, signCheckpoint } from '../../src/audit/checkpoint.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { checkpointStream, eventLeafHash, isTrailEvent } from '../../src/audit/trail.js';
import { type VerifyProgress, verifyTrail } from '../../src/audit/verify-trail.js';
import { identityFromProtobuf } from '../../src/identity/node-identity.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { rawEvents, TrailFixture } from './trail-fixture.js';

// libp2p peer-id spec test vector: a key that is not the node's.
const OTHER_KEY = Buffer.from(
  '080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e',
  'hex',
);

describe('audit verification of a store', () => {
  let fixture: TrailFixture;
  let trailEvents: RecordedEvent[];
  let checkpointEvents: RecordedEvent[];

  const verify = (withRecorded = true) =>
    verifyTrail({
      store: fixture.store,
      trail: fixture.trail,
      publicKey: fixture.identity.publicKey,
      ...(withRecorded ? { recorded: fixture.db } : {}),
    });

  beforeEach(async () => {
    fixture = new TrailFixture();
    // 30 trail events (lamps), 3 events of another node, checkpoints at 10, 20 and 30.
    await fixture.filledTrail(30, 10);
    const all = await fixture.store.readAll();
    trailEvents = all.filter((e) => isTrailEvent(e, fixture.trail));
    checkpointEvents = all.filter((e) => e.stream === checkpointStream(fixture.trail));
    expect(trailEvents).toHaveLength(30);
    expect(checkpointEvents).toHaveLength(3);
  });
  afterEach(() => fixture.dispose());

  it('is OK on a clean store, with counts, and reports progress', async () => {
    const progress: VerifyProgress[] = [];
    const report = await verifyTrail({
      store: fixture.store,
      trail: fixture.trail,
      publicKey: fixture.identity.publicKey,
      recorded: fixture.db,
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
      pageSize: 7,
    });
    expect(report).toMatchObject({
      ok: true,
      trailEvents: 30,
      checkpoints: 3,
      validCheckpoints: 3,
      uncovered: 0,
      recordedCompared: 30,
      scanned: 36,
      issueCount: 0,
      issues: [],
    });
    expect(report.latest?.size).toBe(30);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)?.fraction).toBe(1);
    // Without the audit database, the store alone verifies too.
    expect((await verify(false)).ok).toBe(true);
  });

  it('counts events after the latest checkpoint as not yet covered, without failing', async () => {
    await fixture.runLamps(4);
    const report = await verify();
    expect(report).toMatchObject({ ok: true, trailEvents: 34, uncovered: 4, recordedCompared: 30 });
  });

  it('stays OK while a running writer records and signs more during the verification', async () => {
    const writer = fixture.writer({ checkpointEvery: 5 });
    await writer.start();
    const [report] = await Promise.all([
      verifyTrail({ store: fixture.store, trail: fixture.trail, recorded: fixture.db, pageSize: 3 }),
      fixture.runLamps(20),
    ]);
    await writer.stop();
    expect(report.issues).toEqual([]);
    expect(await verify()).toMatchObject({ ok: true, trailEvents: 50, uncovered: 0, recordedCompared: 50 });
  });

  it('names a one-byte change of an event in the SQLite file: leaf-mismatch at its position', async () => {
    const target = trailEvents[12]!;
    await fixture.editStoreFile((db) => {
      const row = db.prepare('SELECT data FROM events WHERE position = ?').get(target.position) as {
        data: string;
      };
      const at = row.data.lastIndexOf('2');
      const data = row.data.slice(0, at) + '3' + row.data.slice(at + 1);
      expect(Buffer.byteLength(data)).toBe(Buffer.byteLength(row.data));
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data, target.position);
    });
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.issues[0]).toMatchObject({
      reason: 'leaf-mismatch',
      position: target.position,
      index: 12,
      stream: target.stream,
      revision: target.revision,
    });
    // The checkpoints covering it no longer match either.
    expect(report.issues.slice(1).map((i) => i.reason)).toEqual(['root-mismatch', 'root-mismatch']);
    // From the store alone, the first checkpoint that covers the event is where it fails.
    const alone = await verify(false);
    expect(alone.issues[0]).toMatchObject({
      reason: 'root-mismatch',
      position: checkpointEvents[1]!.position,
    });
  });

  it('names a deleted event: missing-event at its position', async () => {
    const target = trailEvents[17]!;
    await fixture.editStoreFile((db) => {
      db.prepare('DELETE FROM events WHERE position = ?').run(target.position);
    });
    const report = await verify();
    expect(report.issues[0]).toMatchObject({
      reason: 'missing-event',
      position: target.position,
      index: 17,
      eventId: target.id,
    });
    expect(report.trailEvents).toBe(29);
  });

  it('names the last event deleted, too', async () => {
    const target = trailEvents[29]!;
    await fixture.editStoreFile((db) => {
      db.prepare('DELETE FROM events WHERE position = ?').run(target.position);
    });
    const report = await verify();
    expect(report.issues[0]).toMatchObject({ reason: 'missing-event', position: target.position, index: 29 });
  });

  it('names two swapped events: order at the first of them', async () => {
    const [a, b] = [trailEvents[5]!, trailEvents[15]!];
    await fixture.editStoreFile((db) => {
      const swap = db.transaction(() => {
        const rows = rawEvents(db);
        const ra = rows.find((r) => BigInt(r.position) === a.position)!;
        const rb = rows.find((r) => BigInt(r.position) === b.position)!;
        const update = db.prepare(
          'UPDATE events SET stream = ?, revision = ?, event_id = ?, type = ?, data = ?, metadata = ? WHERE position = ?',
        );
        update.run('swap-tmp', 0, ra.event_id, ra.type, ra.data, ra.metadata, ra.position);
        update.run(ra.stream, ra.revision, ra.event_id, ra.type, ra.data, ra.metadata, rb.position);
        update.run(rb.stream, rb.revision, rb.event_id, rb.type, rb.data, rb.metadata, ra.position);
      });
      swap();
    });
    // After the swap, position a holds b's event and the other way round.
    const report = await verify();
    expect(report.issues[0]).toMatchObject({ reason: 'order', position: a.position, eventId: b.id });
    expect(report.issues.filter((i) => i.reason === 'order')).toHaveLength(2);
    expect(report.issues.some((i) => i.reason === 'missing-event')).toBe(false);
  });

  it('names an event of another author rewritten as the node’s: unexpected-event', async () => {
    const foreign = (await fixture.store.readAll()).find((e) => e.stream === 'foreign-1')!;
    await fixture.editStoreFile((db) => {
      const metadata = { ...foreign.metadata, author: fixture.trail };
      db.prepare('UPDATE events SET metadata = ? WHERE position = ?').run(
        JSON.stringify(metadata),
        foreign.position,
      );
    });
    const report = await verify();
    expect(report.issues[0]).toMatchObject({ reason: 'unexpected-event', position: foreign.position });
  });

  it('names an event whose row no longer parses: unreadable-event', async () => {
    const target = trailEvents[3]!;
    await fixture.editStoreFile((db) => {
      db.prepare("UPDATE events SET data = substr(data, 1, length(data) - 1) || ']' WHERE position = ?").run(
        target.position,
      );
    });
    const report = await verify();
    expect(report.issues[0]).toMatchObject({ reason: 'unreadable-event', position: target.position });
    expect(report.scanned).toBe(36);
  });

  it('names a checkpoint signed with another key: bad-signature at its position', async () => {
    const other = identityFromProtobuf(OTHER_KEY);
    const tree = new MerkleTree(trailEvents.map(() => leafHash(Buffer.from('x'))));
    // Signed by another key that claims to be the node's trail…
    const impostor = {
      ...signCheckpoint(other, { size: 30, root: tree.root(), time: new Date() }),
      trail: fixture.trail,
    };
    // …and the node's public key with a signature by another key.
    const borrowed = {
      ...signCheckpoint(other, { size: 30, root: tree.root(), time: new Date() }),
      trail: fixture.trail,
      public_key: Buffer.from(fixture.identity.publicKey).toString('base64'),
    };
    const stream = checkpointStream(fixture.trail);
    const first = await fixture.store.append(stream, [{ type: CHECKPOINT_EVENT_TYPE, data: impostor }]);
    const second = await fixture.store.append(stream, [{ type: CHECKPOINT_EVENT_TYPE, data: borrowed }]);
    const report = await verify();
    expect(report.issues.map((i) => [i.reason, i.position])).toEqual([
      ['bad-signature', first.position],
      ['bad-signature', second.position],
    ]);
    expect(report.issues[0]!.message).toMatch(/not the key of trail/);
    expect(report.validCheckpoints).toBe(3);
  });

  it('names two validly signed checkpoints that are not consistent: equivocation, with the evidence', async () => {
    // The node's own key signs size 15 over a different tree (the first 14 leaves and another one).
    const forked = new MerkleTree();
    for (const event of trailEvents.slice(0, 14)) forked.append(eventLeafHash(event));
    forked.append(leafHash(Buffer.from('a different event')));
    const fork = signCheckpoint(fixture.identity, { size: 15, root: forked.root(), time: new Date() });
    const appended = await fixture.store.append(checkpointStream(fixture.trail), [
      { type: CHECKPOINT_EVENT_TYPE, data: { ...fork } },
    ]);
    const report = await verify();
    expect(report.issues).toHaveLength(1);
    const issue = report.issues[0]!;
    expect(issue).toMatchObject({ reason: 'equivocation', position: appended.position });
    // The evidence: the node's checkpoint of size 20, which the events confirm, and the fork.
    expect(issue.evidence?.first).toEqual(checkpointEvents[1]!.data);
    expect(issue.evidence?.second).toEqual(fork);
  });

  it('names a second checkpoint of the same size with another root as equivocation, whatever the events', async () => {
    const twin = signCheckpoint(fixture.identity, {
      size: 10,
      root: leafHash(Buffer.from('x')),
      time: new Date(),
    });
    const appended = await fixture.store.append(checkpointStream(fixture.trail), [
      { type: CHECKPOINT_EVENT_TYPE, data: { ...twin } },
    ]);
    const report = await verify(false);
    expect(report.issues[0]).toMatchObject({ reason: 'equivocation', position: appended.position });
  });

  it('names something else in the checkpoint stream: bad-checkpoint', async () => {
    const appended = await fixture.store.append(checkpointStream(fixture.trail), [
      { type: 'Other', data: {} },
    ]);
    const report = await verify();
    expect(report.issues[0]).toMatchObject({ reason: 'bad-checkpoint', position: appended.position });
  });
});
