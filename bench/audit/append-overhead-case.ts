import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditDbPath, TrailDb } from '../../src/audit/trail-db.js';
import { DEFAULT_CHECKPOINT_EVERY, TrailWriter } from '../../src/audit/trail-writer.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../src/identity/node-identity.js';
import { combine, type Measurement, storeWrites, type WriteSpec } from '../store/workloads.js';
import { type ResultRow, resultRow } from '../support/report.js';
import { perSecond, summarize } from '../support/stats.js';

export interface AppendOverheadOptions {
  dir: string;
  /** The concurrent-64 workload of bench/store (appends per writer over all rounds). */
  spec: WriteSpec;
  rounds: number;
  log: (line: string) => void;
}

interface Node {
  identity: NodeIdentity;
  store: EventStore;
}

function openNode(dir: string): Node {
  mkdirSync(dir, { recursive: true });
  const identity = loadOrCreateNodeIdentity(dir);
  // The store's defaults (synchronous=FULL, group commit), as a node runs it.
  const store = openSqliteEventStore({ path: join(dir, 'events.db'), nodeId: identity.nodeId });
  return { identity, store };
}

/**
 * `append-overhead`: the concurrent-64 workload on a store whose trail writer runs with the node's
 * defaults (follows `$all`, hashes and records leaves, signs a checkpoint every 1000 events into the
 * same store) versus the same workload on a store without one, in alternating rounds of one run. A
 * round with the writer on ends only once the writer has caught up, so none of its work is left
 * outside the measurement.
 */
export async function appendOverheadCase(options: AppendOverheadOptions): Promise<ResultRow[]> {
  const { spec, rounds, log } = options;
  const off = openNode(join(options.dir, 'append-off'));
  const on = openNode(join(options.dir, 'append-on'));
  const db = TrailDb.open(auditDbPath(join(options.dir, 'append-on')), on.identity.nodeId);
  const errors: unknown[] = [];
  const writer = new TrailWriter({
    store: on.store,
    identity: on.identity,
    db,
    checkpointIntervalMs: 0,
    onError: (error) => errors.push(error),
  });
  try {
    await writer.start();
    const warmUp: WriteSpec = { ...spec, appends: Math.max(4, Math.ceil(spec.appends / 20)) };
    await storeWrites(off.store, warmUp, 'warm');
    await storeWrites(on.store, warmUp, 'warm');
    await writer.flush();

    const round: WriteSpec = { ...spec, appends: Math.ceil(spec.appends / rounds) };
    const withWriter = async (r: number): Promise<Measurement> => {
      const started = performance.now();
      const writes = await storeWrites(on.store, round, `r${r}`);
      const acked = performance.now();
      await writer.flush();
      const caughtUp = performance.now();
      log(
        `  round ${r + 1} with the writer: ${Math.round(perSecond(writes.events, caughtUp - started))} appends/s, ` +
          `trail caught up ${(caughtUp - acked).toFixed(1)} ms after the last ack`,
      );
      return { ...writes, elapsedMs: caughtUp - started };
    };
    const withoutWriter = async (r: number): Promise<Measurement> => {
      const writes = await storeWrites(off.store, round, `r${r}`);
      log(
        `  round ${r + 1} without:         ${Math.round(perSecond(writes.events, writes.elapsedMs))} appends/s`,
      );
      return writes;
    };
    const ours: Measurement[] = [];
    const theirs: Measurement[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 1) theirs.push(await withoutWriter(r));
      ours.push(await withWriter(r));
      if (r % 2 === 0) theirs.push(await withoutWriter(r));
    }
    const final = await writer.stop();
    if (errors.length > 0) throw errors[0];

    // The writer did the real work: its trail covers every event and verifies.
    const report = await verifyTrail({
      store: on.store,
      trail: on.identity.nodeId,
      publicKey: on.identity.publicKey,
      recorded: db,
    });
    const appended = warmUp.writers * warmUp.appends + rounds * round.writers * round.appends;
    if (!report.ok || report.trailEvents !== appended || final?.size !== appended) {
      throw new Error(
        `the trail with the writer on does not cover the ${appended} appended events: ` +
          JSON.stringify({ ok: report.ok, trailEvents: report.trailEvents, final: final?.size }),
      );
    }
    log(
      `  the writer's trail: ${report.trailEvents} events, ${report.validCheckpoints} checkpoints ` +
        `(every ${DEFAULT_CHECKPOINT_EVERY}), verified`,
    );

    const a = combine(ours);
    const b = combine(theirs);
    const la = summarize(a.latencies);
    const lb = summarize(b.latencies);
    const reference = 'same workload, trail writer off';
    return [
      resultRow(
        'append-overhead',
        'throughput',
        'appends/s',
        perSecond(a.events, a.elapsedMs),
        reference,
        perSecond(b.events, b.elapsedMs),
      ),
      resultRow('append-overhead', 'p50', 'ms', la.p50, reference, lb.p50),
      resultRow('append-overhead', 'p99', 'ms', la.p99, reference, lb.p99),
    ];
  } finally {
    if (writer.state === 'running') await writer.stop().catch(() => undefined);
    db.close();
    await on.store.close();
    await off.store.close();
  }
}
