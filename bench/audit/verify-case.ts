import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditDbPath, TrailDb } from '../../src/audit/trail-db.js';
import { TrailWriter } from '../../src/audit/trail-writer.js';
import { isTrailEvent } from '../../src/audit/trail.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { loadOrCreateNodeIdentity } from '../../src/identity/node-identity.js';
import { newEvents } from '../store/payload.js';
import { combine, type Measurement } from '../store/workloads.js';
import { type ResultRow, resultRow } from '../support/report.js';
import { perSecond } from '../support/stats.js';

export interface VerifyCaseOptions {
  /** Working directory of the case (a node's data directory is made in it). */
  dir: string;
  /** Trail events to generate. */
  events: number;
  /** Measured verifications, alternating with the reference. */
  rounds: number;
  log: (line: string) => void;
}

/** Events per append when filling, and appends per group commit. */
const FILL_BATCH = 1000;
const FILL_WAVE = 16;
const FILL_STREAMS = 256;
/** Checkpoints signed over the trail before verification. */
const CHECKPOINTS = 4;
const READ_PAGE = 2000;
/** The reference's canonical bytes are packed into chunks of this size (no per-event ArrayBuffer). */
const CHUNK_BYTES = 64 << 20;

const REFERENCE = 'raw SHA-256 (createHash) of the same canonical bytes';

/**
 * `verify`: the full trail verification (verify-trail.ts: read `$all`, recompute every leaf from the
 * canonical bytes, compare with the recorded leaves, rebuild the tree, check every checkpoint) over
 * `events` trail events, beside raw SHA-256 of the same canonical bytes in the same run. Also reports,
 * without goals, how fast the trail writer built that trail and how fast the bare `$all` scan is: the
 * floor any verification through the store port pays.
 */
export async function verifyCase(options: VerifyCaseOptions): Promise<ResultRow[]> {
  const { events, log } = options;
  const nodeDir = join(options.dir, 'verify-node');
  mkdirSync(nodeDir, { recursive: true });
  const identity = loadOrCreateNodeIdentity(nodeDir);
  const trail = identity.nodeId;
  // Durability is not what this case measures: OFF only makes the fill quicker.
  const store = openSqliteEventStore({ path: join(nodeDir, 'events.db'), nodeId: trail, synchronous: 'OFF' });
  const db = TrailDb.open(auditDbPath(nodeDir), trail);
  try {
    let started = performance.now();
    await fill(store, events);
    log(`  filled ${events.toLocaleString('en-US')} events in ${seconds(started)}`);

    started = performance.now();
    const writer = new TrailWriter({
      store,
      identity,
      db,
      checkpointEvery: Math.ceil(events / CHECKPOINTS),
      checkpointIntervalMs: 0,
    });
    await writer.start();
    await writer.flush();
    await writer.stop();
    const buildMs = performance.now() - started;
    if (writer.size !== events)
      throw new Error(`the trail writer recorded ${writer.size} of ${events} events`);
    log(`  built the trail (leaves + ${CHECKPOINTS} checkpoints) in ${seconds(started)}`);

    started = performance.now();
    const bytes = await canonicalBytes(store, trail);
    if (bytes.count !== events) throw new Error(`read ${bytes.count} trail events, expected ${events}`);
    log(
      `  gathered the reference's canonical bytes (${(bytes.total / events).toFixed(0)} bytes/event) ` +
        `in ${seconds(started)}`,
    );

    const verification = async (): Promise<Measurement> => {
      const start = performance.now();
      const report = await verifyTrail({ store, trail, publicKey: identity.publicKey, recorded: db });
      const elapsedMs = performance.now() - start;
      if (
        !report.ok ||
        report.trailEvents !== events ||
        report.recordedCompared !== events ||
        report.validCheckpoints < CHECKPOINTS
      ) {
        throw new Error(`verification did not pass: ${JSON.stringify({ ...report, issues: report.issues })}`);
      }
      return { elapsedMs, events: report.trailEvents, latencies: [] };
    };
    const scan = async (): Promise<Measurement> => {
      const start = performance.now();
      let count = 0;
      for (let from = 0n; ;) {
        const page = await store.readAll({ fromPosition: from, maxCount: READ_PAGE });
        count += page.length;
        if (page.length < READ_PAGE) break;
        from = page[page.length - 1]!.position + 1n;
      }
      return { elapsedMs: performance.now() - start, events: count, latencies: [] };
    };
    const reference = (): Measurement => {
      const start = performance.now();
      let check = 0;
      for (const view of bytes.views) check ^= createHash('sha256').update(view).digest()[0]!;
      const elapsedMs = performance.now() - start;
      if (check < 0) throw new Error('unreachable');
      return { elapsedMs, events: bytes.views.length, latencies: [] };
    };

    // One unmeasured pass of the scan and of the reference first (JIT, page cache).
    await scan();
    reference();

    const ours: Measurement[] = [];
    const scans: Measurement[] = [];
    const theirs: Measurement[] = [];
    for (let round = 0; round < options.rounds; round++) {
      if (round % 2 === 1) theirs.push(reference());
      ours.push(await verification());
      scans.push(await scan());
      if (round % 2 === 0) theirs.push(reference());
      const last = ours[ours.length - 1]!;
      log(`  round ${round + 1}: verified at ${rate(last)} events/s, raw SHA-256 ${rate(theirs.at(-1)!)}/s`);
    }
    const verified = combine(ours);
    const scanned = combine(scans);
    const hashed = combine(theirs);
    const referenceRate = perSecond(hashed.events, hashed.elapsedMs);
    return [
      resultRow(
        'verify',
        'throughput',
        'events/s',
        perSecond(verified.events, verified.elapsedMs),
        REFERENCE,
        referenceRate,
      ),
      resultRow(
        'verify',
        'store-scan',
        'events/s',
        perSecond(scanned.events, scanned.elapsedMs),
        REFERENCE,
        referenceRate,
      ),
      resultRow('verify', 'trail-build', 'events/s', perSecond(events, buildMs), REFERENCE, referenceRate),
    ];
  } finally {
    db.close();
    await store.close();
  }
}

/** `count` events authored by the store's node, appended FILL_BATCH at a time, FILL_WAVE per commit. */
async function fill(store: EventStore, count: number): Promise<void> {
  const appends = Math.ceil(count / FILL_BATCH);
  for (let done = 0; done < appends; done += FILL_WAVE) {
    const wave = Array.from({ length: Math.min(FILL_WAVE, appends - done) }, (_, i) => {
      const n = done + i;
      const size = Math.min(FILL_BATCH, count - n * FILL_BATCH);
      return store.append(`fill-${n % FILL_STREAMS}`, newEvents(size, n * FILL_BATCH));
    });
    await Promise.all(wave);
  }
}

/** The canonical bytes of every trail event, in trail order, as views over a few large chunks. */
async function canonicalBytes(
  store: EventStore,
  trail: string,
): Promise<{ views: Uint8Array[]; count: number; total: number }> {
  const views: Uint8Array[] = [];
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let total = 0;
  for (let from = 0n; ;) {
    const page = await store.readAll({ fromPosition: from, maxCount: READ_PAGE });
    for (const event of page) {
      if (!isTrailEvent(event, trail)) continue;
      const bytes = canonicalEventBytes(event);
      if (used + bytes.length > chunk.length) {
        chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes.length));
        used = 0;
      }
      chunk.set(bytes, used);
      views.push(chunk.subarray(used, used + bytes.length));
      used += bytes.length;
      total += bytes.length;
    }
    if (page.length < READ_PAGE) break;
    from = page[page.length - 1]!.position + 1n;
  }
  return { views, count: views.length, total };
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function rate(m: Measurement): string {
  return Math.round(perSecond(m.events, m.elapsedMs)).toLocaleString('en-US');
}
