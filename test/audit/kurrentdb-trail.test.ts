import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { exportBundle, verifyBundle } from '../../src/audit/bundle.js';
import { checkCheckpoint } from '../../src/audit/checkpoint.js';
import { latestCheckpoint, proveInclusion, verifyInclusionProofDocument } from '../../src/audit/inclusion.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { checkpointStream, fromBase64, fromHex, isTrailEvent, toHex } from '../../src/audit/trail.js';
import { auditDbPath, TrailDb } from '../../src/audit/trail-db.js';
import { TrailWriter } from '../../src/audit/trail-writer.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import { verifyInclusion } from '../../src/audit/verify-proof.js';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openKurrentDbEventStore } from '../../src/events/kurrentdb/kurrentdb-event-store.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../src/identity/node-identity.js';
import { type KurrentDbDouble, startKurrentDbDouble } from '../support/kurrentdb-double/index.js';
import { lampKind } from '../support/lamp-kind.js';
import { independentVerify } from './independent-verifier.js';

/**
 * The audit trail on the KurrentDB adapter, through the real client against the in-process gRPC
 * double (a test fixture, not a server). Positions there are KurrentDB commit positions: ordered,
 * unique, not contiguous, and not what the embedded store would give the same events. They are
 * recorded and compared as local facts only; the leaves, roots, checkpoints, proofs and the bundle
 * depend on the canonical event bytes alone. (Tampering is tested on the embedded store, whose file
 * the tests can edit: see verify-trail.test.ts and bundle.test.ts.)
 */
const OTHER_NODE = '12D3KooWOtherNodeOtherNodeOtherNode';
const CHECKPOINT_EVERY = 10;

describe('audit trail on the KurrentDB adapter (gRPC test double)', () => {
  let double: KurrentDbDouble;
  let dir: string;
  let identity: NodeIdentity;
  let store: EventStore;
  let db: TrailDb;
  let trail: string;
  let lampCount = 0;
  let stopped = false;
  /** Checkpoints signed by the first test's writers. */
  let signedCount = 0;

  const stopServer = async () => {
    if (stopped) return;
    stopped = true;
    await store.close();
    await double.stop();
  };

  const writer = () =>
    new TrailWriter({ store, identity, db, checkpointEvery: CHECKPOINT_EVERY, checkpointIntervalMs: 0 });

  /** Real commands on lamps (`count` events over 3 streams), then a few events of another node. */
  const activity = async (count: number) => {
    const system = new ActorSystem({ store, kinds: [lampKind] });
    for (let i = 0; i < count; i++, lampCount++) {
      const lamp = `l${lampCount % 3}`;
      if (lampCount < 3) await system.send('lamp', lamp, { type: 'Install', room: `room-${lampCount}` });
      else await system.send('lamp', lamp, { type: 'Press', by: `user-${lampCount}` });
    }
    await system.stop();
    await store.append('foreign-1', [
      { type: 'Noted', data: { at: lampCount }, metadata: { author: OTHER_NODE } },
    ]);
  };

  const trailEvents = async (): Promise<RecordedEvent[]> =>
    (await store.readAll()).filter((event) => isTrailEvent(event, trail));

  beforeAll(async () => {
    double = await startKurrentDbDouble();
    dir = mkdtempSync(join(tmpdir(), 'bzzz-audit-kurrent-'));
    identity = loadOrCreateNodeIdentity(dir);
    trail = identity.nodeId;
    store = openKurrentDbEventStore({ connectionString: double.connectionString, nodeId: trail });
    db = TrailDb.open(auditDbPath(dir), trail);
  });
  afterAll(async () => {
    db.close();
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a leaf per authored event at its commit position, signs checkpoints, and resumes', async () => {
    const first = writer();
    await first.start();
    await activity(23);
    const stopped = await first.stop();
    expect(first.size).toBe(23);
    expect(stopped?.size).toBe(23);

    // Resumes after the last commit position it recorded, not from a row number.
    await activity(12);
    const second = writer();
    expect(second.size).toBe(23);
    expect(second.followed).toBe(db.followed);
    await second.start();
    await second.stop();
    expect(second.size).toBe(35);

    const events = await trailEvents();
    expect(events).toHaveLength(35);
    const tree = new MerkleTree();
    for (const [index, event] of events.entries()) {
      const leaf = leafHash(canonicalEventBytes(event));
      tree.append(leaf);
      const recorded = db.at(index)!;
      expect(recorded).toMatchObject({ eventId: event.id, stream: event.stream, revision: event.revision });
      // The position recorded is the event's KurrentDB commit position (far from 1, 2, 3…).
      expect(recorded.position).toBe(event.position);
      expect(toHex(recorded.leaf)).toBe(toHex(leaf));
    }
    expect(events[0]!.position).toBeGreaterThan(4096n);
    expect(toHex(second.root())).toBe(toHex(tree.root()));

    const signed = (await store.readStream(checkpointStream(trail))).map((event) => {
      const check = checkCheckpoint(event.data, trail, identity.publicKey);
      if (!check.ok) throw new Error(check.message);
      return check.checkpoint;
    });
    // Once 10 more trail events are in (how the server streams them decides where exactly: 10 and 20
    // while following live, 35 after catching up in one go), and at each stop when the trail grew.
    const sizes = signed.map((c) => c.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    expect(sizes).toContain(23);
    expect(sizes.at(-1)).toBe(35);
    for (const checkpoint of signed) expect(checkpoint.root).toBe(toHex(tree.rootAt(checkpoint.size)));
    signedCount = signed.length;
  });

  it('verifies the trail from the store, comparing every event with its recorded leaf', async () => {
    const report = await verifyTrail({
      store,
      trail,
      publicKey: identity.publicKey,
      recorded: db,
      pageSize: 7,
    });
    expect(report).toMatchObject({
      ok: true,
      trailEvents: 35,
      checkpoints: signedCount,
      validCheckpoints: signedCount,
      uncovered: 0,
      recordedCompared: 35,
      issueCount: 0,
    });
    expect(report.latest?.size).toBe(35);
    expect((await verifyTrail({ store, trail })).ok).toBe(true);
  });

  it('gives inclusion proofs that verify against the signed root', async () => {
    const latest = await latestCheckpoint(store, trail, identity.publicKey);
    expect(latest?.checkpoint.size).toBe(35);
    const events = await trailEvents();
    for (const index of [0, 9, 10, 22, 34]) {
      const event = events[index]!;
      const proof = await proveInclusion({
        store,
        db,
        trail,
        publicKey: identity.publicKey,
        stream: event.stream,
        revision: event.revision,
      });
      expect(proof).toMatchObject({ index, event_id: event.id, position: event.position.toString() });
      verifyInclusion(
        proof.index,
        proof.checkpoint.size,
        leafHash(fromBase64(proof.event)!),
        proof.proof.map((hex) => fromHex(hex)!),
        fromHex(proof.checkpoint.root)!,
      );
      expect(verifyInclusionProofDocument(proof, { trail, publicKey: identity.publicKey })).toEqual({
        ok: true,
      });
      expect(verifyInclusionProofDocument({ ...proof, index: (index + 1) % 35 }).ok).toBe(false);
    }
  });

  it('exports a bundle that verifies offline, with bzzz and with the independent verifier', async () => {
    const path = join(dir, 'trail.jsonl');
    const exported = await exportBundle({ store, trail, publicKey: identity.publicKey, path, pageSize: 5 });
    expect(exported).toMatchObject({ events: 35, checkpoints: signedCount });
    const fromStore = await verifyTrail({ store, trail, publicKey: identity.publicKey });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    // Event lines carry commit positions, informative only.
    const firstEvent = JSON.parse(lines.find((line) => line.includes('"kind":"event"'))!) as {
      position: string;
    };
    expect(BigInt(firstEvent.position)).toBe((await trailEvents())[0]!.position);

    // Offline: the store is closed and the server gone, only the file is read.
    await stopServer();
    const offline = await verifyBundle(path);
    expect(offline).toMatchObject({
      ok: true,
      trailEvents: 35,
      validCheckpoints: signedCount,
      uncovered: 0,
      issueCount: 0,
    });
    expect(offline.root).toBe(fromStore.root);
    expect(independentVerify(readFileSync(path, 'utf8'))).toEqual({
      ok: true,
      events: 35,
      root: offline.root,
    });
  });
});
