import '../src/polyfill.js';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type Database from 'better-sqlite3';
import { startActorRuntime } from '../src/actors/actor-runtime.js';
import { parseAddress } from '../src/actors/address.js';
import {
  type AgentEvent,
  type AgentProfile,
  KNOWN_ROLES,
  KNOWN_TASK_TYPES,
  type TaskUsage,
} from '../src/actors/agent/agent-events.js';
import { actorKinds } from '../src/actors/kinds.js';
import { MACHINE_VERSION_KEY } from '../src/actors/rehydrate.js';
import { DEFAULT_ESCALATION_RULES } from '../src/actors/thread/escalation-rules.js';
import type { ThreadEvent } from '../src/actors/thread/thread-events.js';
import type { EventStore } from '../src/events/event-store.js';
import type { JsonObject } from '../src/events/json.js';
import { openSqliteEventStore } from '../src/events/sqlite/sqlite-event-store.js';
import type { NewEvent } from '../src/events/types.js';
import { viewReset } from '../src/projections/lookup/lookup-cache.js';
import { getAgent, type LookupCriteria, lookupAgents } from '../src/projections/lookup/lookup-queries.js';
import { ProjectionRunner } from '../src/projections/projection-runner.js';
import { projections } from '../src/projections/projections.js';
import { openReadModelDatabase } from '../src/projections/read-model-db.js';
import { type Goal, type ResultRow, renderTable, resultRow, writeJson } from './support/report.js';
import { perSecond, summarize } from './support/stats.js';

/**
 * Projection benchmark: rebuild throughput of the real views beside the raw `$all` read rate of the same
 * store, projection lag under a paced command load beside the append acknowledgement latency, and
 * lookup latency at 10,000 agents beside a primary-key read. Times are reported, never asserted; the
 * views' row counts are checked against what the generator wrote (a view that folds nothing would
 * otherwise look fast).
 */

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/projections.json' },
    seed: { type: 'string', default: '20260601' },
  },
});

const NODE_ID = 'bench-node';
const SEED = Number(args.seed);
const REBUILD_EVENTS = args.quick ? 100_000 : 1_000_000;
/** The page size ProjectionRunner.rebuild reads `$all` with (REBUILD_PAGE in projection-runner.ts). */
const READ_PAGE = 2000;
const AGENTS = 10_000;
const PROJECTS = 20;
/** Threads open at once in the generated history. */
const OPEN_THREADS = 300;
/** Simulated time between two generated operations: 1M events span about a week. */
const STEP_MS = 600;
/** Events buffered per stream before they are appended, all streams in one turn (one group commit). */
const GENERATION_ROUND = 8192;

const LAG_RATE = 2000;
const LAG_SECONDS = args.quick ? 3 : 10;
const LAG_AGENTS = 2000;
const LAG_THREADS = 200;
/** Every n-th command of the paced loop also waits for the projections (the lag sample). */
const LAG_SAMPLE_EVERY = 4;

const LOOKUP_CALLS = args.quick ? 1000 : 4000;
const LOOKUP_ROUNDS = 4;

// The issue's case `rebuild` is every view rebuilt from zero; the per-view rows (rebuild-<name>) are
// detail for finding the slow one, without a goal of their own.
const GOALS: Goal[] = [{ case: 'rebuild', metric: 'throughput', min: 0.5 }];

const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-projections-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: reproducible choices for the generated history. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------
// A realistic history, written straight to the store
// ---------------------------------------------------------------------------------------------------

const CAPABILITIES = [
  'typescript',
  'python',
  'go',
  'rust',
  'sql',
  'react',
  'kubernetes',
  'terraform',
  'security',
  'testing',
  'docs',
  'api-design',
  'performance',
  'ml',
] as const;
const MODELS = ['claude-sonnet-4', 'claude-haiku-4', 'gpt-4.1', 'llama-3.3-70b'] as const;
const SENTENCES = [
  'I would split the handler into a parser and a pure decision function.',
  'The retry loop needs a bound, otherwise a poisoned message spins forever.',
  'Benchmarks show the index on (project, role) covers the lookup.',
  'Can we keep the wire format backwards compatible for one more release?',
  'The migration is idempotent; running it twice leaves the schema unchanged.',
  'Agreed, but the error path should carry the original cause.',
] as const;

interface SimAgent {
  id: string;
  stream: string;
  project: string;
  profile: AgentProfile;
  status: 'online' | 'offline' | 'error';
  tasks: number;
  lastHeartbeat: string;
}

interface SimThread {
  id: string;
  stream: string;
  participants: string[];
  joined: Set<string>;
  messages: string[];
  posted: number;
  target: number;
  maxRounds: boolean;
}

/** What the generator wrote, for checking the views' row counts. */
interface Expected {
  events: number;
  agents: number;
  threads: number;
  closed: number;
  messages: number;
  votes: number;
  assigned: number;
  completed: number;
  failed: number;
  costFacts: number;
}

type Op = () => void;

class Workload {
  readonly agents: SimAgent[] = [];
  readonly expected: Expected = {
    events: 0,
    agents: 0,
    threads: 0,
    closed: 0,
    messages: 0,
    votes: 0,
    assigned: 0,
    completed: 0,
    failed: 0,
    costFacts: 0,
  };
  readonly #open: SimThread[] = [];
  readonly #byProject = new Map<string, SimAgent[]>();
  readonly #scheduled = new Map<number, Op[]>();
  readonly #votes = new Set<string>();
  #ready: Op[] = [];
  #out = new Map<string, NewEvent[]>();
  #buffered = 0;
  #step = 0;
  #tasks = 0;
  #threads = 0;

  constructor(
    private readonly random: () => number,
    private readonly startMs: number,
  ) {}

  get now(): number {
    return this.startMs + this.#step * STEP_MS;
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** The buffered appends, one per stream, events in order. */
  take(): Map<string, NewEvent[]> {
    const out = this.#out;
    this.#out = new Map();
    this.#buffered = 0;
    return out;
  }

  /** The capabilities the lookup view should hold: one row per agent and capability. */
  capabilityRows(): number {
    return this.agents.reduce((sum, agent) => sum + new Set(agent.profile.capabilities).size, 0);
  }

  step(): void {
    this.#step++;
    const due = this.#scheduled.get(this.#step);
    if (due) {
      this.#ready.push(...due);
      this.#scheduled.delete(this.#step);
    }
    const next = this.#ready.shift();
    if (next) return next();
    if (this.agents.length < AGENTS && (this.agents.length < 100 || this.random() < 0.5))
      return this.#announce();
    const r = this.random() * 100;
    if (r < 42) return this.#heartbeat();
    if (r < 50) return this.#assign();
    if (r < 80) return this.#post();
    if (r < 85) return this.#vote();
    if (r < 87) return this.#join();
    if (r < 90 && this.#open.length < OPEN_THREADS) return this.#createThread();
    if (r < 90.5) return this.#goOffline();
    if (r < 90.6) return this.#reportError();
    if (r < 90.8) return this.#updateProfile();
    return this.#heartbeat();
  }

  #iso(): string {
    return new Date(this.now).toISOString();
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  #schedule(after: number, op: Op): void {
    const at = this.#step + Math.max(1, after);
    const list = this.#scheduled.get(at);
    if (list) list.push(op);
    else this.#scheduled.set(at, [op]);
  }

  /** Buffers the events one command would append, with the metadata ActorSystem writes. */
  #emit(stream: string, cause: string, events: readonly (AgentEvent | ThreadEvent)[]): void {
    const occurredAt = this.#iso();
    const ids = events.map(() => randomUUID());
    const correlationId = ids[0]!;
    let list = this.#out.get(stream);
    if (!list) this.#out.set(stream, (list = []));
    events.forEach((event, i) => {
      const { type, ...data } = event;
      list.push({
        id: ids[i],
        type,
        data: data as unknown as JsonObject,
        metadata: { correlationId, causationId: correlationId, occurredAt, [MACHINE_VERSION_KEY]: 1, cause },
      });
    });
    this.#buffered += events.length;
    this.expected.events += events.length;
  }

  #profile(n: number): AgentProfile {
    const role = KNOWN_ROLES[n % KNOWN_ROLES.length]!;
    const capabilities = new Set<string>();
    const wanted = this.#int(2, 5);
    while (capabilities.size < wanted) capabilities.add(this.#pick(CAPABILITIES));
    const limited = this.random() < 0.3;
    return {
      role,
      capabilities: [...capabilities],
      specialization: `${role} (${[...capabilities][0]})`,
      max_tasks: this.#int(1, 5),
      model: this.#pick(MODELS),
      system_prompt: this.random() < 0.3 ? `You are a careful ${role}. ${this.#pick(SENTENCES)}` : null,
      cost_limits: limited ? { per_task_usd: 0.04, daily_usd: 0.1, monthly_usd: 0.5 } : null,
      project: `project-${Math.floor(n / KNOWN_ROLES.length) % PROJECTS}`,
      owner: `mcp-session-${n % 50}`,
      heartbeat_timeout_s: 90,
    };
  }

  #announce(): void {
    const n = this.agents.length;
    const profile = this.#profile(n);
    const id = `${profile.role.replace(/_/g, '-')}-${String(n).padStart(5, '0')}`;
    const agent: SimAgent = {
      id,
      stream: `agent-${id}`,
      project: profile.project!,
      profile,
      status: 'online',
      tasks: 0,
      lastHeartbeat: this.#iso(),
    };
    this.agents.push(agent);
    const peers = this.#byProject.get(agent.project);
    if (peers) peers.push(agent);
    else this.#byProject.set(agent.project, [agent]);
    this.expected.agents++;
    this.#emit(agent.stream, 'AnnounceAgent', [
      { type: 'AgentAnnounced', agent_id: id, ...profile, announced_at: this.#iso() },
    ]);
  }

  #heartbeat(): void {
    const agent = this.#pick(this.agents);
    const at = this.#iso();
    agent.lastHeartbeat = at;
    if (agent.status === 'offline') {
      agent.status = 'online';
      this.#emit(agent.stream, 'RecordHeartbeat', [{ type: 'AgentCameOnline', at }]);
    } else {
      this.#emit(agent.stream, 'RecordHeartbeat', [{ type: 'AgentHeartbeatReceived', at }]);
    }
  }

  #goOffline(): void {
    const agent = this.#pick(this.agents);
    if (agent.status !== 'online') return this.#heartbeat();
    agent.status = 'offline';
    this.#emit(agent.stream, 'deadline', [
      { type: 'AgentWentOffline', at: this.#iso(), last_heartbeat: agent.lastHeartbeat },
    ]);
  }

  #reportError(): void {
    const agent = this.#pick(this.agents);
    if (agent.status !== 'online') return this.#heartbeat();
    agent.status = 'error';
    this.#emit(agent.stream, 'ReportError', [
      { type: 'AgentErrorReported', code: 'TOOL_CRASHED', message: 'the sandbox exited', at: this.#iso() },
    ]);
    this.#schedule(this.#int(50, 1000), () => {
      agent.status = 'online';
      this.#emit(agent.stream, 'RecoverAgent', [{ type: 'AgentRecovered', at: this.#iso() }]);
    });
  }

  #updateProfile(): void {
    const agent = this.#pick(this.agents);
    const n = Number(agent.id.slice(agent.id.lastIndexOf('-') + 1));
    const profile = { ...this.#profile(n), owner: agent.profile.owner };
    agent.profile = profile;
    if (agent.status === 'offline') agent.status = 'online';
    this.#emit(agent.stream, 'AnnounceAgent', [
      { type: 'AgentProfileUpdated', ...profile, updated_at: this.#iso() },
    ]);
  }

  #usage(): TaskUsage {
    const prompt = this.#int(500, 8000);
    const completion = this.#int(50, 2000);
    const cost = this.random() < 0.95 ? Math.round(prompt * 3 + completion * 15) / 1e6 : null;
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      cached_tokens: this.#int(0, prompt >> 1),
      cost_usd: cost,
    };
  }

  #assign(): void {
    const agent = this.#pick(this.agents);
    if (agent.status !== 'online' || agent.tasks >= agent.profile.max_tasks) return this.#heartbeat();
    const taskId = `task-${++this.#tasks}`;
    const thread = this.#open.length > 0 && this.random() < 0.3 ? this.#pick(this.#open).id : null;
    agent.tasks++;
    this.expected.assigned++;
    this.#emit(agent.stream, 'AssignTask', [
      {
        type: 'TaskAssigned',
        task_id: taskId,
        task_type: this.#pick(KNOWN_TASK_TYPES),
        description: `Review ${taskId}: ${this.#pick(SENTENCES)}`,
        input: { repository: 'bzzz', file: `src/module-${this.#int(1, 400)}.ts`, language: 'ts' },
        thread_id: thread,
        assigned_at: this.#iso(),
      },
    ]);
    const startAfter = this.#int(5, 50);
    this.#schedule(startAfter, () =>
      this.#emit(agent.stream, 'StartTask', [
        { type: 'TaskStarted', task_id: taskId, started_at: this.#iso() },
      ]),
    );
    this.#schedule(startAfter + this.#int(50, 3000), () => {
      agent.tasks--;
      const at = this.#iso();
      if (this.random() < 0.9) {
        this.expected.completed++;
        this.expected.costFacts++;
        this.#emit(agent.stream, 'CompleteTask', [
          {
            type: 'TaskCompleted',
            task_id: taskId,
            result: { summary: this.#pick(SENTENCES), approved: this.random() < 0.8 },
            usage: this.#usage(),
            completed_at: at,
          },
        ]);
      } else {
        const usage = this.random() < 0.5 ? this.#usage() : null;
        this.expected.failed++;
        if (usage) this.expected.costFacts++;
        this.#emit(agent.stream, 'FailTask', [
          {
            type: 'TaskFailed',
            task_id: taskId,
            code: 'TASK_FAILED',
            reason: 'timed out',
            usage,
            failed_at: at,
          },
        ]);
      }
    });
  }

  #createThread(): void {
    const creator = this.#pick(this.agents);
    const peers = this.#byProject.get(creator.project) ?? [creator];
    const participants = new Set([creator.id]);
    const wanted = this.#int(2, 5);
    for (let tries = 0; participants.size < wanted && tries < 20; tries++)
      participants.add(this.#pick(peers).id);
    const id = `t-${String(++this.#threads).padStart(6, '0')}`;
    const target = this.#int(20, 120);
    const maxRounds = this.random() < 0.3;
    const thread: SimThread = {
      id,
      stream: `thread-${id}`,
      participants: [...participants],
      joined: new Set([creator.id]),
      messages: [],
      posted: 0,
      target,
      maxRounds,
    };
    this.#open.push(thread);
    this.expected.threads++;
    this.#emit(thread.stream, 'CreateThread', [
      {
        type: 'ThreadCreated',
        thread_id: id,
        topic: `Design review ${id}: ${this.#pick(SENTENCES)}`,
        creator: creator.id,
        participants: thread.participants,
        project: creator.project,
        task: this.random() < 0.5 ? `task-${this.#int(1, Math.max(1, this.#tasks))}` : null,
        escalation_rules: structuredClone([...DEFAULT_ESCALATION_RULES]),
        consensus_threshold: 0.66,
        max_rounds: maxRounds ? target : null,
        metadata: { source: 'bench', priority: this.#pick(['low', 'normal', 'high']) },
        created_at: this.#iso(),
      },
    ]);
  }

  #openThread(): SimThread | undefined {
    return this.#open.length > 0 ? this.#pick(this.#open) : undefined;
  }

  #close(thread: SimThread): void {
    const at = this.#open.indexOf(thread);
    this.#open[at] = this.#open[this.#open.length - 1]!;
    this.#open.pop();
    this.expected.closed++;
  }

  #join(): void {
    const thread = this.#openThread();
    const waiting = thread?.participants.filter((p) => !thread.joined.has(p)) ?? [];
    if (!thread || waiting.length === 0) return this.#post();
    const participant = this.#pick(waiting);
    thread.joined.add(participant);
    this.#emit(thread.stream, 'JoinThread', [
      { type: 'ParticipantJoined', participant_id: participant, joined_at: this.#iso() },
    ]);
  }

  #post(): void {
    const thread = this.#openThread();
    if (!thread) return this.#createThread();
    if (thread.posted >= thread.target && !thread.maxRounds) return this.#consensus(thread);
    const sender = this.#pick(thread.participants);
    thread.joined.add(sender);
    const messageId = randomUUID();
    const at = this.#iso();
    const events: ThreadEvent[] = [
      {
        type: 'MessagePosted',
        message_id: messageId,
        sender,
        content: `${this.#pick(SENTENCES)} ${this.#pick(SENTENCES)} (${thread.posted + 1})`,
        message_type: this.random() < 0.8 ? 'text' : 'code',
        reply_to: thread.messages.length > 0 && this.random() < 0.4 ? this.#pick(thread.messages) : null,
        metadata: {},
        posted_at: at,
      },
    ];
    thread.posted++;
    this.expected.messages++;
    thread.messages.push(messageId);
    if (thread.messages.length > 20) thread.messages.shift();
    if (thread.maxRounds && thread.posted >= thread.target) {
      events.push({
        type: 'ThreadClosed',
        stop_reason: 'max_rounds',
        closed_by: 'system',
        note: `reached max_rounds (${thread.target} messages)`,
        closed_at: at,
      });
      this.#close(thread);
    }
    this.#emit(thread.stream, 'PostMessage', events);
  }

  #voteEvent(thread: SimThread, voter: string, proposal: string, stance: 'agree' | 'disagree' | 'abstain') {
    const key = `${thread.id}|${proposal}|${voter}`;
    if (!this.#votes.has(key)) {
      this.#votes.add(key);
      this.expected.votes++;
    }
    thread.joined.add(voter);
    return {
      type: 'VoteCast',
      voter,
      proposal_id: proposal,
      stance,
      comment: null,
      cast_at: this.#iso(),
    } as const;
  }

  #vote(): void {
    const thread = this.#openThread();
    if (!thread || thread.messages.length === 0) return this.#post();
    const r = this.random();
    const stance = r < 0.7 ? 'agree' : r < 0.9 ? 'disagree' : 'abstain';
    this.#emit(thread.stream, 'CastVote', [
      this.#voteEvent(thread, this.#pick(thread.participants), this.#pick(thread.messages), stance),
    ]);
  }

  /** Everyone agrees on the last message; the last vote reaches consensus and closes the thread. */
  #consensus(thread: SimThread): void {
    const proposal = thread.messages[thread.messages.length - 1]!;
    const [last, ...others] = [...thread.participants].reverse();
    for (const voter of others) {
      this.#emit(thread.stream, 'CastVote', [this.#voteEvent(thread, voter, proposal, 'agree')]);
    }
    const at = this.#iso();
    this.#emit(thread.stream, 'CastVote', [
      this.#voteEvent(thread, last!, proposal, 'agree'),
      {
        type: 'ConsensusReached',
        proposal_id: proposal,
        agreeing: [...thread.participants],
        active_participants: thread.participants.length,
        threshold: 0.66,
        reached_at: at,
      },
      { type: 'ThreadClosed', stop_reason: 'consensus', closed_by: 'system', note: null, closed_at: at },
    ]);
    this.#close(thread);
  }
}

/** Writes about `count` events (synchronous=OFF, many streams per group commit) and returns the expectations. */
async function generate(path: string, count: number): Promise<Workload> {
  const workload = new Workload(seededRandom(SEED), Date.parse('2026-05-01T08:00:00Z'));
  let recordedAt = workload.now;
  const store = openSqliteEventStore({ path, nodeId: NODE_ID, synchronous: 'OFF', clock: () => recordedAt });
  const flush = async () => {
    recordedAt = workload.now;
    const appends = [...workload.take()].map(([stream, events]) => store.append(stream, events));
    await Promise.all(appends);
  };
  while (workload.expected.events < count) {
    workload.step();
    if (workload.buffered >= GENERATION_ROUND) await flush();
  }
  await flush();
  await store.close();
  return workload;
}

// ---------------------------------------------------------------------------------------------------
// rebuild: the real views from `$all`, beside the raw read rate
// ---------------------------------------------------------------------------------------------------

interface Timed {
  events: number;
  ms: number;
}

/** Reads the whole `$all` the way a rebuild does, without applying anything. */
async function readAllPass(store: EventStore, limit = Infinity): Promise<Timed> {
  const started = performance.now();
  let from: bigint | 'start' = 'start';
  let events = 0;
  while (events < limit) {
    const page = await store.readAll({ fromPosition: from, maxCount: READ_PAGE });
    const last = page[page.length - 1];
    if (!last) break;
    events += page.length;
    from = last.position + 1n;
    if (page.length < READ_PAGE) break;
  }
  return { events, ms: performance.now() - started };
}

const rate = (timed: Timed) => perSecond(timed.events, timed.ms);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function rebuildCase(store: EventStore, db: Database.Database, total: number): Promise<ResultRow[]> {
  const runner = new ProjectionRunner(store, db, projections);
  const reads: Timed[] = [];
  const rebuilds: { name: string; timed: Timed; applied: number }[] = [];
  await readAllPass(store, 100_000); // warm-up: statement caches, JIT
  reads.push(await readAllPass(store));
  for (const { name } of projections) {
    const started = performance.now();
    const status = await runner.rebuild(name);
    const ms = performance.now() - started;
    rebuilds.push({ name, timed: { events: total, ms }, applied: status.events });
    console.log(
      `  rebuilt ${name.padEnd(7)} ${fmt(total)} events read, ${fmt(status.events)} applied, in ` +
        `${(ms / 1000).toFixed(2)} s (${fmt(perSecond(total, ms))} events/s)`,
    );
    reads.push(await readAllPass(store));
    console.log(`  read $all         ${fmt(total)} events in ${(reads.at(-1)!.ms / 1000).toFixed(2)} s`);
  }
  await runner.stop();
  for (const read of reads) {
    if (read.events !== total) throw new Error(`a read pass read ${read.events} events, expected ${total}`);
  }
  const reference = `store.readAll $all, pages of ${READ_PAGE} (same run)`;
  const rows = rebuilds.map(({ name, timed }, i) => {
    // The read passes just before and after this rebuild: drift in the machine falls on both sides.
    const around = { events: reads[i]!.events + reads[i + 1]!.events, ms: reads[i]!.ms + reads[i + 1]!.ms };
    return resultRow(`rebuild-${name}`, 'throughput', 'events/s', rate(timed), reference, rate(around));
  });
  const all = { events: total * rebuilds.length, ms: rebuilds.reduce((sum, r) => sum + r.timed.ms, 0) };
  const allReads = {
    events: reads.reduce((s, r) => s + r.events, 0),
    ms: reads.reduce((s, r) => s + r.ms, 0),
  };
  rows.push(
    resultRow(
      'rebuild',
      'throughput',
      'events/s',
      rate(all),
      `${reference}; ${rebuilds.length} views in sequence`,
      rate(allReads),
    ),
  );
  return rows;
}

/** Row counts of the views, checked against what the generator wrote. */
function checkViews(db: Database.Database, workload: Workload): void {
  const scalar = (sql: string) => db.prepare(sql).pluck().get() as number;
  const counter = (name: string) =>
    (db.prepare('SELECT value FROM stats_counters WHERE name = ?').pluck().get(name) as number | undefined) ??
    0;
  const e = workload.expected;
  const checks: [string, number, number][] = [
    ['lookup_agents', scalar('SELECT count(*) FROM lookup_agents'), e.agents],
    ['lookup_capabilities', scalar('SELECT count(*) FROM lookup_capabilities'), workload.capabilityRows()],
    ['threads', scalar('SELECT count(*) FROM threads'), e.threads],
    [
      "threads (status <> 'active')",
      scalar("SELECT count(*) FROM threads WHERE status <> 'active'"),
      e.closed,
    ],
    ['thread_messages', scalar('SELECT count(*) FROM thread_messages'), e.messages],
    ['thread_votes', scalar('SELECT count(*) FROM thread_votes'), e.votes],
    ['cost_tasks', scalar('SELECT count(*) FROM cost_tasks'), e.assigned],
    ['cost_facts', scalar('SELECT count(*) FROM cost_facts'), e.costFacts],
    ['stats_agents', scalar('SELECT count(*) FROM stats_agents'), e.agents],
    ['stats messages_posted', counter('messages_posted'), e.messages],
    ['stats tasks_assigned', counter('tasks_assigned'), e.assigned],
    ['stats tasks_completed', counter('tasks_completed'), e.completed],
    ['stats tasks_failed', counter('tasks_failed'), e.failed],
  ];
  console.log('  view rows after the rebuilds (expected from the generator):');
  for (const [name, actual, expected] of checks) {
    console.log(
      `    ${name.padEnd(30)} ${fmt(actual).padStart(10)}  ${actual === expected ? 'ok' : `EXPECTED ${fmt(expected)}`}`,
    );
  }
  const extra = [
    ['cost_warnings', scalar('SELECT count(*) FROM cost_warnings')],
    ['thread_participants', scalar('SELECT count(*) FROM thread_participants')],
    ['lookup agents available', scalar('SELECT count(*) FROM lookup_agents WHERE available = 1')],
    [
      'lookup agents offline/error',
      scalar("SELECT count(*) FROM lookup_agents WHERE status IN ('offline', 'error')"),
    ],
  ] as const;
  for (const [name, actual] of extra) console.log(`    ${name.padEnd(30)} ${fmt(actual).padStart(10)}`);
  const wrong = checks.filter(([, actual, expected]) => actual !== expected);
  if (wrong.length > 0)
    throw new Error(`the views did not fold the generated events: ${wrong.map(([n]) => n).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------
// lookup: lookupAgents at 10,000 agents beside getAgent
// ---------------------------------------------------------------------------------------------------

function lookupCase(db: Database.Database, agentIds: readonly string[]): ResultRow[] {
  const random = seededRandom(SEED ^ 0x100c);
  const cases: { id: string; address: string; criteria: LookupCriteria }[] = [
    {
      id: 'lookup',
      address: 'bzzz://*:architect@project-7',
      criteria: { expertise: ['typescript'], availability: true, performance_threshold: 0.5 },
    },
    {
      id: 'lookup-broad',
      address: 'bzzz://*:developer@*',
      criteria: { expertise: ['typescript'], availability: true },
    },
  ];
  const rows: ResultRow[] = [];
  for (const { id, address, criteria } of cases) {
    const parts = parseAddress(address);
    // Measures the query itself: the connection's lookup cache is emptied before each call (a repeated
    // query is otherwise answered from memory; bench:mcp measures lookups as clients see them).
    const query = () => {
      viewReset(db);
      return lookupAgents(db, parts, criteria);
    };
    const primary = () => getAgent(db, agentIds[Math.floor(random() * agentIds.length)]!);
    const matches = query().length;
    if (matches === 0) throw new Error(`${address} matched no agent: the lookup case would measure nothing`);
    for (let i = 0; i < 200; i++) {
      query();
      primary();
    }
    const ours: number[] = [];
    const reference: number[] = [];
    const time = (samples: number[], call: () => unknown) => {
      for (let i = 0; i < LOOKUP_CALLS / LOOKUP_ROUNDS; i++) {
        const started = performance.now();
        call();
        samples.push(performance.now() - started);
      }
    };
    for (let round = 0; round < LOOKUP_ROUNDS; round++) {
      if (round % 2 === 1) time(reference, primary);
      time(ours, query);
      if (round % 2 === 0) time(reference, primary);
    }
    console.log(`  ${address} ${JSON.stringify(criteria)}: ${matches} matches`);
    const a = summarize(ours);
    const b = summarize(reference);
    const label = 'getAgent (primary-key read of one agent)';
    rows.push(
      resultRow(id, 'p50', 'ms', a.p50, label, b.p50),
      resultRow(id, 'p99', 'ms', a.p99, label, b.p99),
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// lag: commands through the ActorSystem at a steady rate; ack → view reflects it
// ---------------------------------------------------------------------------------------------------

async function lagCase(): Promise<ResultRow[]> {
  const lagDir = join(dir, 'lag');
  mkdirSync(lagDir);
  const store = openSqliteEventStore({ path: join(lagDir, 'events.db'), nodeId: NODE_ID });
  const runtime = startActorRuntime({ store, kinds: actorKinds, runtimeDbPath: join(lagDir, 'runtime.db') });
  const readModel = openReadModelDatabase(join(lagDir, 'read-model.db'));
  const runner = new ProjectionRunner(store, readModel, projections);
  runner.start();
  const { system } = runtime;
  const random = seededRandom(SEED ^ 0x1a6);
  const agents = Array.from({ length: LAG_AGENTS }, (_, n) => `lag-agent-${n}`);
  const threads = Array.from({ length: LAG_THREADS }, (_, n) => ({
    id: `lag-thread-${n}`,
    participants: [0, 1, 2].map((k) => agents[(n * 3 + k) % LAG_AGENTS]!),
  }));
  let head: bigint | undefined;
  const setup = async <T>(items: readonly T[], send: (item: T) => Promise<{ position?: bigint }>) => {
    for (let i = 0; i < items.length; i += 64) {
      const results = await Promise.all(items.slice(i, i + 64).map(send));
      for (const { position } of results)
        if (position !== undefined && (head === undefined || position > head)) head = position;
    }
  };
  await setup(agents, (id) =>
    system.send('agent', id, {
      type: 'AnnounceAgent',
      role: KNOWN_ROLES[id.length % KNOWN_ROLES.length]!,
      capabilities: ['typescript', 'sql'],
      specialization: 'bench',
      model: 'claude-sonnet-4',
      project: 'lag',
    }),
  );
  await setup(threads, (thread) =>
    system.send('thread', thread.id, {
      type: 'CreateThread',
      topic: `lag ${thread.id}`,
      participants: thread.participants,
      creator: thread.participants[0]!,
      project: 'lag',
    }),
  );
  await runner.waitFor(head, 60_000);

  const total = LAG_RATE * LAG_SECONDS;
  const interval = 1000 / LAG_RATE;
  const acks: number[] = [];
  const lags: number[] = [];
  const failures: unknown[] = [];
  const inFlight = new Set<Promise<void>>();
  const command = async (n: number) => {
    const started = performance.now();
    let position: bigint | undefined;
    if (random() < 0.6) {
      position = (
        await system.send('agent', agents[Math.floor(random() * LAG_AGENTS)]!, { type: 'RecordHeartbeat' })
      ).position;
    } else {
      const thread = threads[Math.floor(random() * LAG_THREADS)]!;
      const sender = thread.participants[Math.floor(random() * thread.participants.length)]!;
      const content = `${SENTENCES[n % SENTENCES.length]} (${n})`;
      position = (await system.send('thread', thread.id, { type: 'PostMessage', sender, content })).position;
    }
    const acked = performance.now();
    acks.push(acked - started);
    if (n % LAG_SAMPLE_EVERY !== 0) return;
    await runner.waitFor(position, 30_000);
    lags.push(performance.now() - acked);
  };
  const started = performance.now();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    while (issued < due) {
      const running: Promise<void> = command(issued++)
        .catch((error: unknown) => void failures.push(error))
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const issuedMs = performance.now() - started;
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  await runner.stop();
  await runtime.close();
  readModel.close();
  await store.close();
  if (failures.length > 0)
    throw new Error(`${failures.length} lag commands failed; first: ${String(failures[0])}`);
  const achieved = perSecond(acks.length, elapsedMs);
  console.log(
    `  ${fmt(acks.length)} commands issued over ${(issuedMs / 1000).toFixed(2)} s, all acknowledged after ` +
      `${(elapsedMs / 1000).toFixed(2)} s (${fmt(achieved)}/s); ${fmt(lags.length)} lag samples`,
  );
  const a = summarize(lags);
  const b = summarize(acks);
  const label = 'append ack latency of the same commands (ActorSystem.send)';
  return [
    resultRow('lag', 'p50', 'ms', a.p50, label, b.p50),
    resultRow('lag', 'p99', 'ms', a.p99, label, b.p99),
    resultRow('lag-load', 'rate', 'commands/s', achieved, `target rate (${LAG_RATE}/s, paced)`, LAG_RATE),
  ];
}

// ---------------------------------------------------------------------------------------------------

console.log(
  `bzzz projections benchmark: embedded SQLite store, read models in SQLite (WAL, synchronous=NORMAL), ` +
    `node ${process.version}, seed ${SEED}${args.quick ? ', --quick' : ''}`,
);
const rows: ResultRow[] = [];

const storePath = join(dir, 'events.db');
console.log(`generating ~${fmt(REBUILD_EVENTS)} events (${fmt(AGENTS)} agents), synchronous=OFF ...`);
const generationStarted = performance.now();
const workload = await generate(storePath, REBUILD_EVENTS);
const e = workload.expected;
console.log(
  `  ${fmt(e.events)} events in ${((performance.now() - generationStarted) / 1000).toFixed(1)} s ` +
    `(${(statSync(storePath).size / 2 ** 20).toFixed(0)} MiB): ${fmt(e.agents)} agents, ${fmt(e.assigned)} tasks ` +
    `(${fmt(e.completed)} completed, ${fmt(e.failed)} failed), ${fmt(e.threads)} threads ` +
    `(${fmt(e.closed)} closed), ${fmt(e.messages)} messages, ${fmt(e.votes)} votes`,
);

{
  const store = openSqliteEventStore({ path: storePath, nodeId: NODE_ID });
  const readModel = openReadModelDatabase(join(dir, 'read-model.db'));
  console.log(
    `running rebuild: each view rebuilt from ${fmt(e.events)} events, a raw $all read before and after each`,
  );
  rows.push(...(await rebuildCase(store, readModel, e.events)));
  checkViews(readModel, workload);
  console.log(`running lookup: ${fmt(LOOKUP_CALLS)} calls each, at ${fmt(AGENTS)} agents`);
  rows.push(
    ...lookupCase(
      readModel,
      workload.agents.map((agent) => agent.id),
    ),
  );
  readModel.close();
  await store.close();
}

console.log(
  `running lag: ${LAG_RATE} commands/s for ${LAG_SECONDS} s through the ActorSystem (60% heartbeats, 40% ` +
    `messages; ${LAG_AGENTS} agents, ${LAG_THREADS} threads), every ${LAG_SAMPLE_EVERY}th waited for in all views`,
);
rows.push(...(await lagCase()));

console.log(`\n${renderTable(rows, GOALS)}`);
console.log(
  'rebuild: events of $all per second (every event is read, only those of the view type are applied).\n' +
    'lag: ms from the acknowledgement of a command to runner.waitFor resolving (all four views reflect it); ' +
    'reference: the acknowledgement latency itself.\nlookup: ms per lookupAgents call; reference: getAgent by id.\n',
);
writeJson(args.out, rows);
console.log(`wrote ${args.out}`);
