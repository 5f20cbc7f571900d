import '../src/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventStore } from '../src/events/event-store.js';
import { openKurrentDbEventStore } from '../src/events/kurrentdb/kurrentdb-event-store.js';
import { openSqliteEventStore } from '../src/events/sqlite/sqlite-event-store.js';
import type { EventFilter } from '../src/events/types.js';
import { RawSqliteReference } from './store/raw-sqlite.js';
import { BenchArgumentError, type BenchTarget, labelTable, parseBenchTarget } from './store/target.js';
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

/**
 * --store: absent or sqlite:… → the embedded store (in temp files; the path is ignored);
 * kurrentdb://… / esdb://… → that server, through the KurrentDB adapter; double → the in-process gRPC
 * test double, labelled as such on every row and written to its own file. The reference is raw
 * better-sqlite3 in every case.
 */
let args: { quick: boolean; out?: string | undefined; store?: string | undefined };
let target: BenchTarget;
try {
  ({ values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      store: { type: 'string' },
    },
  }));
  target = parseBenchTarget(args.store, args.out);
} catch (error) {
  const known =
    error instanceof BenchArgumentError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`bench:store: ${known ? (error as Error).message : String(error)}`);
  process.exit(2);
}
if (target.kind === 'sqlite' && target.ignoredUrl !== undefined) {
  console.log(`note: --store ${target.ignoredUrl} is ignored; the benchmark uses its own temp files`);
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
const openRaw = (name: string) => new RawSqliteReference(join(dir, `${name}.raw.db`), NODE_ID);

/** Where the stores of the run connect: the server named, or the double started for this run. */
let connectionString: string | undefined;
let stopDouble: (() => Promise<void>) | undefined;
if (target.kind === 'kurrentdb') connectionString = target.connectionString;
if (target.kind === 'double') {
  // Test-only code (a dev dependency), loaded only when asked for.
  const { startKurrentDbDouble } = await import('../test/support/kurrentdb-double/index.js');
  const double = await startKurrentDbDouble();
  connectionString = double.connectionString;
  stopDouble = () => double.stop();
}

/**
 * Streams of this run: the embedded store gets fresh files per case, but a server keeps every earlier
 * run's streams, so there each case writes under a prefix of its own (and read-all filters on it).
 */
const runScope = `bench-${Date.now().toString(36)}-${process.pid.toString(36)}-`;
const scope = (id: string): string => (target.kind === 'sqlite' ? '' : `${runScope}${id}-`);

function openStore(name: string): EventStore {
  if (connectionString === undefined) {
    return openSqliteEventStore({ path: join(dir, `${name}.db`), nodeId: NODE_ID });
  }
  try {
    return openKurrentDbEventStore({ connectionString, nodeId: NODE_ID });
  } catch (error) {
    // The client's parser refuses what the URL check let through (an option value, say): one line.
    const message = (error as Error).message.split('\n', 1)[0] ?? '';
    const reason = message.length > 0 && message !== connectionString ? message : 'malformed';
    console.error(
      `bench:store: --store="${args.store}" is not a valid KurrentDB connection string: ${reason}`,
    );
    process.exit(2);
  }
}

/** Fails fast, with one line, when the server does not answer (rather than in the first case). */
async function checkReachable(): Promise<void> {
  if (target.kind !== 'kurrentdb') return;
  const store = openStore('preflight');
  try {
    await store.readAll({ fromPosition: 'start', maxCount: 1 });
  } catch (error) {
    console.error(`bench:store: ${target.label} cannot be read: ${(error as Error).message}`);
    process.exit(1);
  } finally {
    await store.close().catch(() => undefined);
  }
}

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
  await storeWrites(store, warmUp, `${scope(id)}warm`);
  rawWrites(raw, warmUp, 'warm');
  const round: WriteSpec = { ...spec, appends: Math.ceil(spec.appends / ROUNDS) };
  const [ours, theirs] = await interleaved(
    (r) => storeWrites(store, round, `${scope(id)}r${r}`),
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
  const fill = `${scope('read-all')}fill`;
  const filter: EventFilter | undefined =
    target.kind === 'sqlite' ? undefined : { streamPrefixes: [`${fill}-`] };
  await fillStore(store, READ_EVENTS, fill);
  fillRaw(raw, READ_EVENTS);
  await storeReadAll(store, PAGE_SIZE, 10 * PAGE_SIZE, filter);
  rawReadAll(raw, PAGE_SIZE, 10 * PAGE_SIZE);
  const [ours, theirs] = await interleaved(
    () => storeReadAll(store, PAGE_SIZE, Infinity, filter),
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

const HEADERS: Record<BenchTarget['kind'], string> = {
  sqlite: 'embedded SQLite (WAL, synchronous=FULL) vs raw better-sqlite3',
  kurrentdb:
    `${target.label} through the KurrentDB adapter vs raw better-sqlite3 (synchronous=FULL) on this machine: ` +
    'a networked, replicated server beside a local file, not a like-for-like comparison',
  double:
    `${target.label}: the KurrentDB adapter and the real client against the in-process gRPC double, ` +
    'vs raw better-sqlite3 (synchronous=FULL)',
};
await checkReachable();
console.log(
  `bzzz store benchmark: ${HEADERS[target.kind]}, node ${process.version}` +
    `${args.quick ? ', --quick (10x fewer operations)' : ''}`,
);
const rows: ResultRow[] = [];
try {
  for (const { id, spec, reference } of WRITE_CASES) {
    console.log(
      `running ${id}: ${spec.writers} writer(s) x ${spec.appends} appends x ${spec.eventsPerAppend} event(s), ` +
        `in ${ROUNDS} rounds alternating with the reference`,
    );
    rows.push(...(await writeCase(id, spec, reference)));
  }
  console.log(`running read-all: ${READ_EVENTS} events in pages of ${PAGE_SIZE}, read ${ROUNDS} times each`);
  rows.push(...(await readAllCase()));
} finally {
  await stopDouble?.();
}
if (target.kind === 'sqlite') {
  console.log(`\n${renderTable(rows, GOALS)}`);
} else {
  // The goals are the embedded store's, against the file it replaces; they do not apply to a server.
  console.log(`\n${labelTable(renderTable(rows), target.label)}`);
}
console.log('throughput counts events/s: appends/s for the one-event cases, appends/s x 10 for batch-10.\n');
if (target.kind === 'double') {
  console.log(`These rows measure the ${target.label}; never quote them as KurrentDB speed.`);
}
writeJson(target.out, target.kind === 'sqlite' ? rows : rows.map((row) => ({ ...row, store: target.label })));
console.log(`wrote ${target.out}`);
