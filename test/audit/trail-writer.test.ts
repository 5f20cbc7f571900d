import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_EVENT_TYPE, checkCheckpoint, signCheckpoint } from '../../src/audit/checkpoint.js';
import { latestCheckpoint, proveInclusion, verifyInclusionProofDocument } from '../../src/audit/inclusion.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { checkpointStream, fromBase64, fromHex, isTrailEvent, toHex } from '../../src/audit/trail.js';
import { TrailDb } from '../../src/audit/trail-db.js';
import { startTrailService } from '../../src/audit/trail-service.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/verify-proof.js';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import type { EventStore } from '../../src/events/event-store.js';
import { isBzzzError } from '../../src/errors.js';
import { TrailFixture } from './trail-fixture.js';

/** The trail's root computed from scratch: every authored event of `$all`, outside audit streams. */
async function rootFromScratch(store: EventStore, trail: string, size?: number): Promise<string> {
  const tree = new MerkleTree();
  for (const event of await store.readAll()) {
    if (event.metadata.author === trail && !event.stream.startsWith('audit-')) {
      tree.append(leafHash(canonicalEventBytes(event)));
    }
  }
  return toHex(tree.rootAt(size ?? tree.size));
}

async function checkpoints(fixture: TrailFixture) {
  const events = await fixture.store.readStream(checkpointStream(fixture.trail));
  return events.map((event) => {
    const check = checkCheckpoint(event.data, fixture.trail, fixture.identity.publicKey);
    if (!check.ok) throw new Error(check.message);
    return check.checkpoint;
  });
}

describe('trail writer', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(() => fixture.dispose());

  it('builds incrementally the root a from-scratch tree gives, leaving out other authors and checkpoints', async () => {
    const writer = fixture.writer({ checkpointEvery: 7 });
    await writer.start();
    await fixture.runLamps(10);
    await fixture.foreignEvents(4);
    await fixture.runLamps(15);
    await writer.flush();
    expect(writer.size).toBe(25);
    expect(toHex(writer.root())).toBe(await rootFromScratch(fixture.store, fixture.trail));
    await writer.stop();
    expect(fixture.db.count).toBe(25);
    // Every recorded leaf is the leaf of the event it names.
    const events = (await fixture.store.readAll()).filter((e) => isTrailEvent(e, fixture.trail));
    for (const [index, event] of events.entries()) {
      const recorded = fixture.db.at(index)!;
      expect(recorded).toMatchObject({ eventId: event.id, position: event.position, stream: event.stream });
      expect(toHex(recorded.leaf)).toBe(toHex(leafHash(canonicalEventBytes(event))));
    }
  });

  it('signs a checkpoint every N events and at stop, each verifiable and consistent with the last', async () => {
    const writer = fixture.writer({ checkpointEvery: 10 });
    await writer.start();
    await fixture.runLamps(35);
    const stopped = await writer.stop();
    const signed = await checkpoints(fixture);
    expect(signed.map((c) => c.size)).toEqual([10, 20, 30, 35]);
    expect(stopped).toEqual(signed[3]);
    for (const checkpoint of signed) {
      expect(checkpoint.trail).toBe(fixture.trail);
      expect(checkpoint.root).toBe(await rootFromScratch(fixture.store, fixture.trail, checkpoint.size));
    }
    const tree = writer.tree;
    for (let i = 1; i < signed.length; i++) {
      const [a, b] = [signed[i - 1]!, signed[i]!];
      verifyConsistency(
        a.size,
        b.size,
        tree.consistencyProof(a.size, b.size),
        fromHex(a.root)!,
        fromHex(b.root)!,
      );
    }
    // Checkpoint events are authored by the node but never leaves.
    const stored = await fixture.store.readStream(checkpointStream(fixture.trail));
    expect(stored.every((e) => e.metadata.author === fixture.trail && e.type === CHECKPOINT_EVENT_TYPE)).toBe(
      true,
    );
    expect(fixture.db.count).toBe(35);
  });

  it('signs on a timer when the trail grew, and not when it did not', async () => {
    // The events are in before the writer starts, so that no tick can fall between two of them.
    await fixture.runLamps(5);
    const writer = fixture.writer({ checkpointEvery: 1000, checkpointIntervalMs: 40 });
    await writer.start();
    await writer.flush();
    await expect.poll(async () => (await checkpoints(fixture)).length, { timeout: 5000 }).toBe(1);
    // Three more timer rounds with an unchanged trail: none of them may sign.
    const ticks = writer.timerTicks;
    await expect.poll(() => writer.timerTicks, { timeout: 5000 }).toBeGreaterThanOrEqual(ticks + 3);
    expect((await checkpoints(fixture)).map((c) => c.size)).toEqual([5]);
    expect(await writer.stop()).toMatchObject({ size: 5 });
    expect((await checkpoints(fixture)).length).toBe(1);
  });

  it('resumes where it stopped, and rebuilds the same trail when the audit database is lost', async () => {
    const first = fixture.writer({ checkpointEvery: 4 });
    await first.start();
    await fixture.runLamps(9);
    await first.stop();
    await fixture.runLamps(6, 2);

    const second = fixture.writer({ checkpointEvery: 4 });
    expect(second.size).toBe(9);
    await second.start();
    await second.stop();
    expect(second.size).toBe(15);
    const root = toHex(second.root());
    expect(root).toBe(await rootFromScratch(fixture.store, fixture.trail));

    fixture.db.close();
    rmSync(fixture.auditPath);
    rmSync(`${fixture.auditPath}-wal`, { force: true });
    rmSync(`${fixture.auditPath}-shm`, { force: true });
    fixture.db = TrailDb.open(fixture.auditPath, fixture.trail);
    const third = fixture.writer({ checkpointEvery: 4 });
    expect(third.size).toBe(0);
    await third.start();
    await third.flush();
    expect(toHex(third.root())).toBe(root);
    await third.stop();
    const sizes = (await checkpoints(fixture)).map((c) => c.size);
    // Every 4 events from the latest checkpoint (however many a batch brings), and at stop; the
    // rebuilt trail needed none.
    expect(sizes).toEqual([4, 8, 9, 13, 15]);
  });

  it('refuses to sign a tree that does not extend the latest checkpoint', async () => {
    await fixture.filledTrail(6, 100);
    // A forged "latest checkpoint" over another tree, properly signed by the node's own key.
    const forged = signCheckpoint(fixture.identity, {
      size: 3,
      root: leafHash(Buffer.from('x')),
      time: new Date(),
    });
    await fixture.store.append(checkpointStream(fixture.trail), [
      { type: CHECKPOINT_EVENT_TYPE, data: { ...forged } },
    ]);
    const writer = fixture.writer();
    const error = await writer.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBzzzError(error, 'AUDIT_TRAIL_DIVERGED')).toBe(true);
    // As a service, the node still starts and shuts down; the refusal goes to onError.
    fixture.db.close();
    const errors: unknown[] = [];
    const service = startTrailService({
      dataDir: fixture.dir,
      store: fixture.store,
      identity: fixture.identity,
      onError: (e) => errors.push(e),
    });
    await expect(service.ready).rejects.toThrow(/refusing to sign/);
    await fixture.runLamps(2);
    await expect(service.close()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => isBzzzError(e, 'AUDIT_TRAIL_DIVERGED'))).toBe(true);
    fixture.db = TrailDb.open(fixture.auditPath, fixture.trail);
  });

  it('gives inclusion proofs for random events that the standalone verifier accepts', async () => {
    await fixture.filledTrail(60, 25);
    const latest = await latestCheckpoint(fixture.store, fixture.trail, fixture.identity.publicKey);
    expect(latest?.checkpoint.size).toBe(60);
    const events = (await fixture.store.readAll()).filter((e) => isTrailEvent(e, fixture.trail));
    for (let n = 0; n < 20; n++) {
      const event = events[Math.floor(Math.random() * events.length)]!;
      const proof = await proveInclusion({
        store: fixture.store,
        db: fixture.db,
        trail: fixture.trail,
        publicKey: fixture.identity.publicKey,
        stream: event.stream,
        revision: event.revision,
      });
      expect(proof.index).toBe(events.indexOf(event));
      // The standalone RFC 6962 verifier, with only what the document carries.
      verifyInclusion(
        proof.index,
        proof.checkpoint.size,
        leafHash(fromBase64(proof.event)!),
        proof.proof.map((hex) => fromHex(hex)!),
        fromHex(proof.checkpoint.root)!,
      );
      expect(verifyInclusionProofDocument(proof, { trail: fixture.trail })).toEqual({ ok: true });
      // A proof moved to another event, or over altered bytes, fails.
      const other = { ...proof, index: (proof.index + 1) % 60 };
      expect(verifyInclusionProofDocument(other).ok).toBe(false);
      const altered = Buffer.from(fromBase64(proof.event)!).toString('utf8').replace('"type":"', '"type":"X');
      const forged = { ...proof, event: Buffer.from(altered).toString('base64'), leaf: undefined };
      expect(verifyInclusionProofDocument(forged).ok).toBe(false);
    }
  });

  it('refuses a proof for an event not yet covered by a checkpoint', async () => {
    await fixture.filledTrail(5, 100);
    const writer = fixture.writer({ checkpointEvery: 100 });
    await writer.start();
    await fixture.runLamps(2, 1);
    await writer.flush();
    const error = await proveInclusion({
      store: fixture.store,
      db: fixture.db,
      trail: fixture.trail,
      stream: 'lamp-l0',
      revision: 2,
    }).catch((e: unknown) => e);
    expect(isBzzzError(error, 'AUDIT_NOT_COVERED')).toBe(true);
    await writer.stop();
  });

  it('runs as a service for the composition root: start, then close signs the final checkpoint', async () => {
    fixture.db.close();
    const service = startTrailService({
      dataDir: fixture.dir,
      store: fixture.store,
      identity: fixture.identity,
      checkpointEvery: 1000,
      checkpointIntervalMs: 0,
    });
    await service.ready;
    await fixture.runLamps(12);
    await service.close();
    expect((await checkpoints(fixture)).map((c) => c.size)).toEqual([12]);
    fixture.db = TrailDb.open(fixture.auditPath, fixture.trail);
    expect(fixture.db.count).toBe(12);
  });
});
