import '../src/polyfill.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ActorRuntime, startActorRuntime } from '../src/actors/actor-runtime.js';
import { ActorSystem, type ActorSystemOptions } from '../src/actors/actor-system.js';
import type { AnyActorKind } from '../src/actors/actor-kind.js';
import { agentKind } from '../src/actors/agent/agent-kind.js';
import { threadKind } from '../src/actors/thread/thread-kind.js';
import { SimulatedClock } from '../src/actors/clock.js';
import { MACHINE_VERSION_KEY } from '../src/actors/rehydrate.js';
import { openRuntimeDatabase } from '../src/actors/runtime-db.js';
import { sqliteSnapshotStore } from '../src/actors/snapshot-store.js';
import type { EventStore } from '../src/events/event-store.js';
import { openSqliteEventStore } from '../src/events/sqlite/sqlite-event-store.js';
import type { ExpectedRevision, NewEvent } from '../src/events/types.js';
import { combine, type Measurement } from './store/workloads.js';
import { type ResultRow, resultRow, writeJson } from './support/report.js';
import { perSecond, summarize } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/actors.json' },
  },
});

const scale = args.quick ? 10 : 1;
const NODE_ID = 'bench-node';
/** Each throughput case is split into this many rounds, alternating ours and the reference. */
const ROUNDS = 4;
const HOT_COMMANDS = 2000 / scale;
const CONCURRENT_ACTORS = 64;
const COMMANDS_PER_ACTOR = 800 / scale;
const REHYDRATE_EVENTS = 10_000;
/** The snapshot is taken at this revision; the last REHYDRATE_EVENTS - SNAPSHOT_AT - 1 events are folded on top. */
const SNAPSHOT_AT = 9_990;
const REHYDRATE_REPEATS = args.quick ? 3 : 9;
const MEMORY_ACTORS = 20_000 / scale;
/** Messages already in the long thread when its posts are measured. */
const LONG_THREAD_MESSAGES = 20_000;
const THREAD_POSTS = 1000 / scale;
/** Commands in flight at once while filling (memory case). */
const FILL_CONCURRENCY = 256;

/** A target on a row's ratio: `min` (ratio must be at least) or `max` (at most). */
interface Goal {
  case: string;
  metric: string;
  min?: number;
  max?: number;
}

const GOALS: Goal[] = [
  { case: 'actors-64', metric: 'throughput', min: 0.7 },
  { case: 'rehydrate', metric: 'median', max: 0.02 },
  { case: 'long-thread', metric: 'p50', max: 1.5 },
];

const HEARTBEAT = { type: 'RecordHeartbeat' } as const;
const announceCommand = (n: number) => ({
  type: 'AnnounceAgent',
  role: 'developer',
  capabilities: ['typescript', 'sqlite'],
  specialization: `bench agent ${n}`,
  max_tasks: 3,
  model: 'claude-sonnet',
});

const gc = exposeGc();
const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-actors-'));

/** `global.gc` from `node --expose-gc`, or exposed at run time when the flag was not given. */
function exposeGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Full collections until the heap stops shrinking; returns heapUsed. */
function settledHeap(): number {
  let previous = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 1024) return used;
    previous = used;
  }
  return previous;
}

/** The embedded store at synchronous=FULL (its default), in the temp directory. */
function openStore(name: string): EventStore {
  return openSqliteEventStore({ path: join(dir, `${name}.db`), nodeId: NODE_ID, synchronous: 'FULL' });
}

interface RuntimeEnv {
  store: EventStore;
  runtime: ActorRuntime;
  close(): Promise<void>;
}

/** A store and the full actor runtime on it (snapshots, durable deadlines, outbox), as `serve` wires them. */
function openRuntime(
  name: string,
  options: Partial<Pick<ActorSystemOptions, 'clock' | 'idleAfterMs' | 'maxLiveActors'>> = {},
  kinds: AnyActorKind[] = [agentKind],
): RuntimeEnv {
  const store = openStore(name);
  const runtime = startActorRuntime({
    store,
    kinds,
    runtimeDbPath: join(dir, `${name}.runtime.db`),
    onError: (error) => console.error('runtime error:', error),
    ...options,
  });
  return {
    store,
    runtime,
    async close() {
      await runtime.close();
      await store.close();
    },
  };
}

/** An event like the one a heartbeat appends through the runtime: same type, data and metadata keys. */
function heartbeatEvent(): NewEvent {
  return runtimeEvent('AgentHeartbeatReceived', (at) => ({ at }), agentKind.version, 'RecordHeartbeat');
}

/** An event with the metadata the runtime gives the events of command `cause`, recorded now. */
function runtimeEvent(
  type: string,
  data: (at: string) => NewEvent['data'],
  machineVersion: number,
  cause: string,
): NewEvent {
  const id = randomUUID();
  const at = new Date().toISOString();
  return {
    id,
    type,
    data: data(at),
    metadata: {
      correlationId: id,
      causationId: id,
      occurredAt: at,
      [MACHINE_VERSION_KEY]: machineVersion,
      cause,
    },
  };
}

/** A measured run through the runtime: `ackedMs` until the last command was acknowledged. */
interface ActorMeasurement extends Measurement {
  ackedMs: number;
}

/**
 * Each agent gets `perAgent` heartbeats from its own sender, which awaits each before the next. The run
 * ends when the deadline tracker has indexed the last event too: its work per event is deferred (it
 * follows `$all`), and would otherwise be done, unmeasured, during the next reference round.
 */
async function actorCommands(
  runtime: ActorRuntime,
  agents: readonly string[],
  perAgent: number,
): Promise<ActorMeasurement> {
  const latencies: number[] = [];
  let last = 0n;
  const sender = async (agent: string) => {
    for (let n = 0; n < perAgent; n++) {
      const started = performance.now();
      const result = await runtime.system.send('agent', agent, HEARTBEAT);
      latencies.push(performance.now() - started);
      if (result.events.length !== 1 || result.position === undefined) {
        throw new Error(`a heartbeat to ${agent} appended ${result.events.length} events`);
      }
      if (result.position > last) last = result.position;
    }
  };
  const started = performance.now();
  await Promise.all(agents.map(sender));
  const ackedMs = performance.now() - started;
  await runtime.deadlines.caughtUp(last);
  const elapsedMs = performance.now() - started;
  return { elapsedMs, ackedMs, events: agents.length * perAgent, latencies };
}

/** The reference: one-event appends with exact expected revisions, one awaiting writer per stream. */
class RawWriters {
  readonly #revisions: ExpectedRevision[];

  constructor(
    private readonly store: EventStore,
    private readonly streams: readonly string[],
  ) {
    this.#revisions = streams.map(() => 'no_stream');
  }

  async run(perStream: number): Promise<Measurement> {
    const latencies: number[] = [];
    const writer = async (index: number) => {
      const stream = this.streams[index]!;
      for (let n = 0; n < perStream; n++) {
        const started = performance.now();
        const result = await this.store.append(stream, [heartbeatEvent()], {
          expectedRevision: this.#revisions[index],
        });
        latencies.push(performance.now() - started);
        this.#revisions[index] = result.nextExpectedRevision;
      }
    };
    const started = performance.now();
    await Promise.all(this.streams.map((_, index) => writer(index)));
    const elapsedMs = performance.now() - started;
    return { elapsedMs, events: this.streams.length * perStream, latencies };
  }
}

/**
 * Runs ours and the reference in alternating rounds (ours first, then reference first, ...) so that
 * drift in the machine (disk flushes, other load) falls on both sides alike.
 */
async function interleaved(
  ours: () => Promise<ActorMeasurement>,
  reference: () => Promise<Measurement>,
): Promise<[ActorMeasurement, Measurement]> {
  const a: ActorMeasurement[] = [];
  const b: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 1) b.push(await reference());
    a.push(await ours());
    if (round % 2 === 0) b.push(await reference());
  }
  return [{ ...combine(a), ackedMs: a.reduce((sum, run) => sum + run.ackedMs, 0) }, combine(b)];
}

/** `agents` concurrent agents through the runtime vs as many concurrent raw writers on the store. */
async function throughputCase(id: string, agents: number, perAgent: number): Promise<ResultRow[]> {
  const env = openRuntime(id);
  const rawStore = openStore(`${id}-raw`);
  try {
    const { runtime } = env;
    const names = Array.from({ length: agents }, (_, i) => `${id}-${i}`);
    await Promise.all(names.map((name, i) => runtime.system.send('agent', name, announceCommand(i))));
    const raw = new RawWriters(
      rawStore,
      names.map((name) => `raw-${name}`),
    );
    // Both sides warm up alike (JIT, statement caches, the deadline index) before anything is measured.
    const warmUp = Math.max(5, Math.ceil(perAgent / 8));
    await actorCommands(runtime, names, warmUp);
    await raw.run(warmUp);
    const perRound = Math.ceil(perAgent / ROUNDS);
    const [ours, theirs] = await interleaved(
      () => actorCommands(runtime, names, perRound),
      () => raw.run(perRound),
    );
    const writers = agents === 1 ? '1 awaiting writer' : `${agents} concurrent awaiting writers`;
    const reference = `store.append, 1 event, exact expectedRevision, ${writers}`;
    const a = summarize(ours.latencies);
    const b = summarize(theirs.latencies);
    const referenceRate = perSecond(theirs.events, theirs.elapsedMs);
    return [
      resultRow(id, 'throughput', 'ops/s', perSecond(ours.events, ours.elapsedMs), reference, referenceRate),
      resultRow(id, 'acked', 'ops/s', perSecond(ours.events, ours.ackedMs), reference, referenceRate),
      resultRow(id, 'p50', 'ms', a.p50, reference, b.p50),
      resultRow(id, 'p99', 'ms', a.p99, reference, b.p99),
    ];
  } finally {
    await env.close();
    await rawStore.close();
  }
}

/** Fills agent `rehydrate` with REHYDRATE_EVENTS events and a snapshot at SNAPSHOT_AT. */
async function fillRehydrateAgent(store: EventStore, snapshotsPath: string): Promise<void> {
  const announcer = new ActorSystem({ store, kinds: [agentKind] });
  await announcer.send('agent', 'rehydrate', announceCommand(0));
  await announcer.stop();
  // Heartbeats up to just before the snapshot, appended in bulk as the runtime would have recorded them.
  let revision = 0;
  while (revision < SNAPSHOT_AT - 1) {
    const count = Math.min(1000, SNAPSHOT_AT - 1 - revision);
    const result = await store.append('agent-rehydrate', Array.from({ length: count }, heartbeatEvent), {
      expectedRevision: revision,
    });
    revision = result.nextExpectedRevision;
  }
  // The rest through an actor system that snapshots when its revision reaches SNAPSHOT_AT.
  const db = openRuntimeDatabase(snapshotsPath);
  const writer = new ActorSystem({
    store,
    kinds: [agentKind],
    snapshots: sqliteSnapshotStore(db),
    snapshotEvery: SNAPSHOT_AT,
  });
  while (revision < REHYDRATE_EVENTS - 1) {
    revision = (await writer.send('agent', 'rehydrate', HEARTBEAT)).revision;
  }
  await writer.stop();
  const saved = sqliteSnapshotStore(db).load('agent-rehydrate');
  db.close();
  if (saved?.revision !== SNAPSHOT_AT) {
    throw new Error(`expected a snapshot at revision ${SNAPSHOT_AT}, found ${saved?.revision ?? 'none'}`);
  }
}

/** Time for a fresh actor system to answer inspect() on the 10,000-event agent, from a snapshot vs from zero. */
async function rehydrateCase(): Promise<ResultRow[]> {
  const store = openStore('rehydrate');
  const snapshotsPath = join(dir, 'rehydrate.runtime.db');
  try {
    await fillRehydrateAgent(store, snapshotsPath);
    const db = openRuntimeDatabase(snapshotsPath);
    const snapshots = sqliteSnapshotStore(db);
    let expected: string | undefined;
    const measure = async (withSnapshot: boolean): Promise<number> => {
      const system = new ActorSystem({
        store,
        kinds: [agentKind],
        ...(withSnapshot ? { snapshots } : {}),
      });
      const started = performance.now();
      const state = await system.inspect('agent', 'rehydrate');
      const elapsed = performance.now() - started;
      await system.stop();
      if (state.revision !== REHYDRATE_EVENTS - 1)
        throw new Error(`rehydrated to revision ${state.revision}`);
      const json = JSON.stringify(state.state);
      if (expected !== undefined && json !== expected) throw new Error('snapshot and zero disagree');
      expected = json;
      return elapsed;
    };
    await measure(false);
    await measure(true);
    const fromSnapshot: number[] = [];
    const fromZero: number[] = [];
    for (let i = 0; i < REHYDRATE_REPEATS; i++) {
      if (i % 2 === 1) fromZero.push(await measure(false));
      fromSnapshot.push(await measure(true));
      if (i % 2 === 0) fromZero.push(await measure(false));
    }
    db.close();
    return [
      resultRow(
        'rehydrate',
        'median',
        'ms',
        summarize(fromSnapshot).p50,
        `fold from zero, ${REHYDRATE_EVENTS.toLocaleString('en-US')} events`,
        summarize(fromZero).p50,
      ),
    ];
  } finally {
    await store.close();
  }
}

/** Sends `command(i)` to agents `prefix-0` … `prefix-(count-1)`, FILL_CONCURRENCY at a time; returns the last position. */
async function announceMany(system: ActorSystem, prefix: string, count: number): Promise<bigint> {
  let next = 0;
  let last = 0n;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const result = await system.send('agent', `${prefix}-${i}`, announceCommand(i));
      if (result.position !== undefined && result.position > last) last = result.position;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILL_CONCURRENCY, count) }, worker));
  return last;
}

/** Heap per actor with MEMORY_ACTORS announced agents all live, then after they were all passivated. */
async function memoryCase(): Promise<ResultRow[]> {
  const clock = new SimulatedClock(Date.now());
  // Far below the agents' 90 s heartbeat timeout: moving the clock past it fires no deadline.
  const idleAfterMs = 1000;
  const env = openRuntime('memory', { clock, idleAfterMs, maxLiveActors: 10 * MEMORY_ACTORS });
  try {
    const { system } = env.runtime;
    // Warm up (JIT, prepared statements, subscription), then passivate the warm-up actors.
    await env.runtime.deadlines.caughtUp(await announceMany(system, 'warm', 500));
    clock.advance(idleAfterMs + 1);
    system.passivateIdle();
    const baseline = settledHeap();

    await env.runtime.deadlines.caughtUp(await announceMany(system, 'mem', MEMORY_ACTORS));
    if (system.liveActors !== MEMORY_ACTORS) throw new Error(`${system.liveActors} live actors`);
    const live = settledHeap();

    clock.advance(idleAfterMs + 1);
    const passivated = system.passivateIdle();
    if (passivated !== MEMORY_ACTORS || system.liveActors !== 0) {
      throw new Error(`passivated ${passivated}, ${system.liveActors} still live`);
    }
    const after = settledHeap();
    const perLive = (live - baseline) / MEMORY_ACTORS;
    const perPassivated = (after - baseline) / MEMORY_ACTORS;
    return [
      resultRow(
        'memory',
        'passivated',
        'bytes/actor',
        perPassivated,
        `live actor (heapUsed after gc, ${MEMORY_ACTORS.toLocaleString('en-US')} agents)`,
        perLive,
      ),
    ];
  } finally {
    await env.close();
  }
}

const PARTICIPANTS = ['architect-001', 'reviewer-001', 'tester-001'];

/** The events of LONG_THREAD_MESSAGES posts to `thread-<id>`, as the runtime records them, in pages of 1000. */
async function fillThread(store: EventStore, id: string, fromRevision: number): Promise<void> {
  let revision = fromRevision;
  for (let n = 0; n < LONG_THREAD_MESSAGES; n += 1000) {
    const events = Array.from({ length: Math.min(1000, LONG_THREAD_MESSAGES - n) }, (_, k) =>
      runtimeEvent(
        'MessagePosted',
        (at) => ({
          message_id: randomUUID(),
          sender: PARTICIPANTS[(n + k) % PARTICIPANTS.length]!,
          content: `message ${n + k} of the long thread`,
          message_type: 'text',
          reply_to: null,
          metadata: {},
          posted_at: at,
        }),
        threadKind.version,
        'PostMessage',
      ),
    );
    revision = (await store.append(`thread-${id}`, events, { expectedRevision: revision }))
      .nextExpectedRevision;
  }
}

/**
 * Post latency through the runtime in a thread that already has LONG_THREAD_MESSAGES messages vs in a
 * thread created just before: a post must cost the same however long its thread is.
 */
async function longThreadCase(): Promise<ResultRow[]> {
  const env = openRuntime('long-thread', {}, [threadKind]);
  try {
    const { system } = env.runtime;
    const create = (topic: string) => ({
      type: 'CreateThread',
      topic,
      creator: PARTICIPANTS[0]!,
      participants: PARTICIPANTS,
    });
    const long = await system.send('thread', 'long', create('long'));
    await fillThread(env.store, 'long', long.revision);
    await system.send('thread', 'fresh', create('fresh'));
    const posts = (thread: string, count: number) => async (): Promise<ActorMeasurement> => {
      const latencies: number[] = [];
      const started = performance.now();
      for (let n = 0; n < count; n++) {
        const before = performance.now();
        await system.send('thread', thread, {
          type: 'PostMessage',
          sender: PARTICIPANTS[n % PARTICIPANTS.length]!,
          content: `post ${n}`,
        });
        latencies.push(performance.now() - before);
      }
      const elapsedMs = performance.now() - started;
      return { elapsedMs, ackedMs: elapsedMs, events: count, latencies };
    };
    // The first post folds the long thread's events (not measured); both warm up alike.
    await posts('long', 20)();
    await posts('fresh', 20)();
    const perRound = Math.ceil(THREAD_POSTS / ROUNDS);
    const [ours, theirs] = await interleaved(posts('long', perRound), posts('fresh', perRound));
    const reference = 'the same posts in a thread created just before';
    return [
      resultRow(
        'long-thread',
        'p50',
        'ms',
        summarize(ours.latencies).p50,
        reference,
        summarize(theirs.latencies).p50,
      ),
    ];
  } finally {
    await env.close();
  }
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'ms') return value.toFixed(3);
  return Math.round(value).toLocaleString('en-US');
}

function verdict(row: ResultRow): string {
  const goal = GOALS.find((g) => g.case === row.case && g.metric === row.metric);
  if (!goal) return '';
  if (goal.min !== undefined) return `>= ${goal.min} ${row.ratio >= goal.min ? 'met' : 'MISSED'}`;
  if (goal.max !== undefined) return `<= ${goal.max} ${row.ratio <= goal.max ? 'met' : 'MISSED'}`;
  return '';
}

/** A fixed-width table of the rows, each goal beside the row it applies to. */
function renderTable(rows: readonly ResultRow[]): string {
  const header = ['case', 'metric', 'unit', 'ours', 'reference', 'ratio', 'goal', 'reference is'];
  const body = rows.map((row) => [
    row.case,
    row.metric,
    row.unit,
    formatValue(row.value, row.unit),
    formatValue(row.reference_value, row.unit),
    row.ratio.toFixed(row.ratio < 0.1 ? 4 : 2),
    verdict(row),
    row.reference,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

try {
  console.log(
    `bzzz actor benchmark: agent actors through the runtime on the embedded store (WAL, synchronous=FULL), ` +
      `node ${process.version}${args.quick ? ', --quick (10x fewer operations)' : ''}`,
  );
  const rows: ResultRow[] = [];
  console.log(
    `running hot-actor: 1 agent x ${HOT_COMMANDS} heartbeats, in ${ROUNDS} rounds alternating with the store`,
  );
  rows.push(...(await throughputCase('hot-actor', 1, HOT_COMMANDS)));
  console.log(
    `running actors-64: ${CONCURRENT_ACTORS} agents x ${COMMANDS_PER_ACTOR} heartbeats, ` +
      `in ${ROUNDS} rounds alternating with the store`,
  );
  rows.push(...(await throughputCase('actors-64', CONCURRENT_ACTORS, COMMANDS_PER_ACTOR)));
  console.log(
    `running rehydrate: 1 agent with ${REHYDRATE_EVENTS} events, snapshot at revision ${SNAPSHOT_AT}, ` +
      `median of ${REHYDRATE_REPEATS}`,
  );
  rows.push(...(await rehydrateCase()));
  console.log(`running memory: ${MEMORY_ACTORS} agents announced, all live, then all passivated`);
  rows.push(...(await memoryCase()));
  console.log(
    `running long-thread: ${THREAD_POSTS} posts into a thread of ${LONG_THREAD_MESSAGES} messages, ` +
      `in ${ROUNDS} rounds alternating with a new thread`,
  );
  rows.push(...(await longThreadCase()));

  console.log(`\n${renderTable(rows)}\n`);
  console.log(
    [
      'ratio = ours / reference.',
      'throughput: commands/s until the deadline tracker has indexed the last event, vs appends/s; acked: until the',
      '  last acknowledgement (the tracker still catching up). Higher is better.',
      'p50/p99: latency per acknowledged command or append (ms). Lower is better.',
      'rehydrate: median time for a fresh actor system to inspect() the agent, from its snapshot vs from zero.',
      'memory: heap bytes per passivated vs per live agent (heapUsed after gc, minus the heap before).',
      `long-thread: p50 latency of a post into a thread of ${LONG_THREAD_MESSAGES.toLocaleString('en-US')} messages vs into a new thread.`,
    ].join('\n') + '\n',
  );
  writeJson(args.out, rows);
  console.log(`wrote ${args.out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
