import '../src/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventStore } from '../src/events/event-store.js';
import { openSqliteEventStore } from '../src/events/sqlite/sqlite-event-store.js';
import { RawSqliteReference } from './store/raw-sqlite.js';
import {
  combine,
  fillRaw,
  fillStore,
  type Measurement,
  rawReadAll,
  rawWrites,
  storeReadAll,
  storeWrites,
  type WriteSpec,
} from './store/workloads.js';
import { type Goal, type ResultRow, renderTable, resultRow, writeJson } from './support/report.js';
import { perSecond, summarize } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/store.json' },
    store: { type: 'string' },
  },
});

if (args.store !== undefined && !args.store.startsWith('sqlite:')) {
  console.error(`--store ${args.store}: only the embedded SQLite store (sqlite:) is benchmarked so far.`);
  process.exit(2);
}
if (args.store !== undefined) {
  console.log(`note: --store ${args.store} is ignored; the benchmark uses its own temp files`);
}

const scale = args.quick ? 10 : 1;
const NODE_ID = 'bench-node';
const PAGE_SIZE = 1000;
const READ_EVENTS = 100_000 / scale;
/** Each case is split into this many rounds, alternating ours and the reference. */
const ROUNDS = 4;

const WRITE_CASES: { id: string; spec: WriteSpec; reference: string }[] = [
  {
    id: 'sequential',
    spec: { writers: 1, appends: 2000 / scale, eventsPerAppend: 1, streamsPerWriter: 4 },
    reference: 'better-sqlite3, 1 insert per txn',
  },
  {
    id: 'concurrent-64',
    spec: { writers: 64, appends: 320 / scale, eventsPerAppend: 1, streamsPerWriter: 1 },
    reference: 'better-sqlite3, 64 inserts per txn',
  },
  {
    id: 'batch-10',
    spec: { writers: 1, appends: 1000 / scale, eventsPerAppend: 10, streamsPerWriter: 1 },
    reference: 'better-sqlite3, 10 inserts per txn',
  },
];

const GOALS: Goal[] = [
  { case: 'sequential', metric: 'throughput', min: 0.5 },
  { case: 'concurrent-64', metric: 'throughput', min: 0.6 },
  { case: 'batch-10', metric: 'throughput', min: 0.6 },
  { case: 'read-all', metric: 'throughput', min: 0.7 },
];

const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-store-'));
// On every way out, errors included (but not fatal signals).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const openStore = (name: string): EventStore =>
  openSqliteEventStore({ path: join(dir, `${name}.db`), nodeId: NODE_ID });
const openRaw = (name: string) => new RawSqliteReference(join(dir, `${name}.raw.db`), NODE_ID);

/**
 * Runs ours and the reference in alternating rounds (ours first, then reference first, ...) so that
 * drift in the machine (disk flushes, other load) falls on both sides alike.
 */
async function interleaved(
  ours: (round: number) => Promise<Measurement>,
  reference: (round: number) => Measurement,
): Promise<[Measurement, Measurement]> {
  const a: Measurement[] = [];
  const b: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 1) b.push(reference(round));
    a.push(await ours(round));
    if (round % 2 === 0) b.push(reference(round));
  }
  return [combine(a), combine(b)];
}

function throughputRow(id: string, reference: string, ours: Measurement, raw: Measurement): ResultRow {
  const value = perSecond(ours.events, ours.elapsedMs);
  return resultRow(id, 'throughput', 'events/s', value, reference, perSecond(raw.events, raw.elapsedMs));
}

async function writeCase(id: string, spec: WriteSpec, reference: string): Promise<ResultRow[]> {
  const store = openStore(id);
  const raw = openRaw(id);
  const warmUp: WriteSpec = { ...spec, appends: Math.max(4, Math.ceil(spec.appends / 20)) };
  await storeWrites(store, warmUp, 'warm');
  rawWrites(raw, warmUp, 'warm');
  const round: WriteSpec = { ...spec, appends: Math.ceil(spec.appends / ROUNDS) };
  const [ours, theirs] = await interleaved(
    (r) => storeWrites(store, round, `r${r}`),
    (r) => rawWrites(raw, round, `r${r}`),
  );
  await store.close();
  raw.close();
  const a = summarize(ours.latencies);
  const b = summarize(theirs.latencies);
  return [
    throughputRow(id, reference, ours, theirs),
    resultRow(id, 'p50', 'ms', a.p50, `${reference} (per txn)`, b.p50),
    resultRow(id, 'p99', 'ms', a.p99, `${reference} (per txn)`, b.p99),
  ];
}

async function readAllCase(): Promise<ResultRow[]> {
  const store = openStore('read-all');
  const raw = openRaw('read-all');
  await fillStore(store, READ_EVENTS);
  fillRaw(raw, READ_EVENTS);
  await storeReadAll(store, PAGE_SIZE, 10 * PAGE_SIZE);
  rawReadAll(raw, PAGE_SIZE, 10 * PAGE_SIZE);
  const [ours, theirs] = await interleaved(
    () => storeReadAll(store, PAGE_SIZE),
    () => rawReadAll(raw, PAGE_SIZE),
  );
  await store.close();
  raw.close();
  const expected = READ_EVENTS * ROUNDS;
  if (ours.events !== expected || theirs.events !== expected) {
    throw new Error(
      `read-all read ${ours.events} (store) and ${theirs.events} (reference), expected ${expected}`,
    );
  }
  return [
    throughputRow(
      'read-all',
      `better-sqlite3 ordered scan, pages of ${PAGE_SIZE} + JSON.parse`,
      ours,
      theirs,
    ),
  ];
}

console.log(
  `bzzz store benchmark: embedded SQLite (WAL, synchronous=FULL) vs raw better-sqlite3, node ${process.version}` +
    `${args.quick ? ', --quick (10x fewer operations)' : ''}`,
);
const rows: ResultRow[] = [];
for (const { id, spec, reference } of WRITE_CASES) {
  console.log(
    `running ${id}: ${spec.writers} writer(s) x ${spec.appends} appends x ${spec.eventsPerAppend} event(s), ` +
      `in ${ROUNDS} rounds alternating with the reference`,
  );
  rows.push(...(await writeCase(id, spec, reference)));
}
console.log(`running read-all: ${READ_EVENTS} events in pages of ${PAGE_SIZE}, read ${ROUNDS} times each`);
rows.push(...(await readAllCase()));
console.log(`\n${renderTable(rows, GOALS)}`);
console.log('throughput counts events/s: appends/s for the one-event cases, appends/s x 10 for batch-10.\n');
writeJson(args.out, rows);
console.log(`wrote ${args.out}`);
