import '../src/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAddress } from '../src/actors/address.js';
import { KNOWN_ROLES } from '../src/actors/agent/agent-events.js';
import { lookupAgents } from '../src/projections/lookup/lookup-queries.js';
import {
  type BenchNode,
  NOOP_TOOL,
  PROJECTS,
  projectName,
  seed,
  startBenchNode,
  THREADS,
  threadId,
  threadParticipants,
} from './mcp/bench-node.js';
import { LoadGenerator, type RunResult, type TransportKind } from './mcp/load-protocol.js';
import { goalMet, goalOf, type MaxGoal, renderTable } from './mcp/report.js';
import { mainThreadCpuMicros } from './mcp/thread-cpu.js';
import { type ResultRow, resultRow, writeJson } from './support/report.js';
import { perSecond, summarize } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/mcp.json' },
  },
});

const scale = args.quick ? 10 : 1;
const AGENTS = 10_000;
const TRANSPORTS: TransportKind[] = ['http', 'ws'];
const CONCURRENCIES = [1, 32];
/** Each case is split into this many rounds; every round runs the no-op and both tools, in rotating order. */
const ROUNDS = 4;
/** Measured calls per session (all rounds together) and warm-up calls per session, by concurrency. */
const CALLS: Record<number, { measured: number; warmUp: number }> = {
  1: { measured: 2000 / scale, warmUp: 400 / scale },
  32: { measured: 320 / scale, warmUp: 40 / scale },
};
const TOOLS = ['bzzz_lookup', 'bzzz_post'] as const;
const MAX_RATIO: Record<(typeof TOOLS)[number], number> = { bzzz_lookup: 1.5, bzzz_post: 3 };

const caseId = (tool: string, transport: TransportKind, concurrency: number) =>
  `${tool}-${transport}-c${concurrency}`;

const GOALS: MaxGoal[] = TOOLS.flatMap((tool) =>
  TRANSPORTS.flatMap((transport) =>
    CONCURRENCIES.map((c) => ({ case: caseId(tool, transport, c), metric: 'p50', max: MAX_RATIO[tool] })),
  ),
);

/** Lookups name a role in a project (`bzzz://*:reviewer@proj-07`): ~28 of the 10,000 agents match. */
const LOOKUP_ARGUMENTS = KNOWN_ROLES.flatMap((role) =>
  Array.from({ length: PROJECTS }, (_, p) => ({ semantic_address: `bzzz://*:${role}@${projectName(p)}` })),
);

/**
 * Posts go into the seeded threads, from one participant to another, spread so that concurrent
 * sessions write to different threads (each thread ends up with tens of messages, not thousands).
 */
const POST_ARGUMENTS = Array.from({ length: THREADS * 3 }, (_, k) => {
  const t = k % THREADS;
  const participants = threadParticipants(t);
  const from = Math.floor(k / THREADS) % participants.length;
  return {
    target_address: `bzzz://${participants[(from + 1) % participants.length]}`,
    message_type: 'text',
    content: { text: `please review the change set ${k}: the transport layer and its limits` },
    thread_id: threadId(t),
    sender: participants[from]!,
  };
});

const ARGUMENTS: Record<string, Record<string, unknown>[]> = {
  [NOOP_TOOL]: [{}],
  bzzz_lookup: LOOKUP_ARGUMENTS,
  bzzz_post: POST_ARGUMENTS,
};

interface Collected {
  latencies: number[];
  calls: number;
  elapsedMs: number;
  /** CPU of the server's main thread during the runs (undefined: not measurable here), microseconds. */
  serverCpuMicros: number | undefined;
  /** CPU of the whole server process (every thread: event loop, workers, V8's and libuv's helpers). */
  serverAllCpuMicros: number;
  clientCpuMicros: number;
}

function check(tool: string, result: RunResult): void {
  if (result.failures > 0) {
    throw new Error(`${tool}: ${result.failures} call(s) failed; first: ${result.firstFailure ?? '?'}`);
  }
}

/** One transport at one concurrency: the no-op and both tools over the same sessions, in interleaved rounds. */
async function measureGroup(
  bench: BenchNode,
  load: LoadGenerator,
  transport: TransportKind,
  concurrency: number,
): Promise<ResultRow[]> {
  const url = transport === 'http' ? bench.httpUrl : bench.wsUrl;
  const tools = [NOOP_TOOL, ...TOOLS];
  const { measured, warmUp } = CALLS[concurrency]!;
  await load.connect(transport, concurrency, url.href, bench.token);
  try {
    for (const tool of tools) check(tool, await load.run(tool, warmUp, ARGUMENTS[tool]!));
    const collected = new Map<string, Collected>(
      tools.map((t) => [
        t,
        {
          latencies: [],
          calls: 0,
          elapsedMs: 0,
          serverCpuMicros: 0,
          serverAllCpuMicros: 0,
          clientCpuMicros: 0,
        },
      ]),
    );
    const perRound = Math.ceil(measured / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that no tool always follows the same one (drift falls on all alike).
      const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
      for (const tool of order) {
        const cpuBefore = mainThreadCpuMicros();
        const processCpu = process.cpuUsage();
        const result = await load.run(tool, perRound, ARGUMENTS[tool]!);
        const cpuAfter = mainThreadCpuMicros();
        const processUsed = process.cpuUsage(processCpu);
        check(tool, result);
        const into = collected.get(tool)!;
        into.latencies.push(...result.latencies);
        into.calls += result.latencies.length;
        into.elapsedMs += result.elapsedMs;
        into.clientCpuMicros += result.clientCpuMicros;
        into.serverAllCpuMicros += processUsed.user + processUsed.system;
        into.serverCpuMicros =
          cpuBefore === undefined || cpuAfter === undefined || into.serverCpuMicros === undefined
            ? undefined
            : into.serverCpuMicros + cpuAfter - cpuBefore;
      }
    }
    const noop = collected.get(NOOP_TOOL)!;
    const ref = summarize(noop.latencies);
    const refThroughput = perSecond(noop.calls, noop.elapsedMs);
    const reference = `${NOOP_TOOL} (same server, transport, concurrency)`;
    return TOOLS.flatMap((tool) => {
      const ours = collected.get(tool)!;
      const stats = summarize(ours.latencies);
      const id = caseId(tool, transport, concurrency);
      const cpuRow = (metric: string, cpuMicros: (of: Collected) => number | undefined) => {
        const [mine, theirs] = [cpuMicros(ours), cpuMicros(noop)];
        return mine === undefined || theirs === undefined
          ? []
          : [resultRow(id, metric, 'us/call', mine / ours.calls, reference, theirs / noop.calls)];
      };
      const cpuRows = [
        ...cpuRow('server_cpu', (of) => of.serverCpuMicros),
        ...cpuRow('server_all_cpu', (of) => of.serverAllCpuMicros),
        ...cpuRow('client_cpu', (of) => of.clientCpuMicros),
      ];
      return [
        resultRow(id, 'p50', 'ms', stats.p50, reference, ref.p50),
        resultRow(id, 'p99', 'ms', stats.p99, reference, ref.p99),
        resultRow(
          id,
          'throughput',
          'calls/s',
          perSecond(ours.calls, ours.elapsedMs),
          reference,
          refThroughput,
        ),
        ...cpuRows,
      ];
    });
  } finally {
    await load.disconnect();
  }
}

/** `$all` position of the last event: the number of events appended (the embedded store counts from 1). */
async function headPosition(bench: BenchNode): Promise<number> {
  const [head] = await bench.node.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
  return head === undefined ? 0 : Number(head.position);
}

const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-mcp-'));
// On every way out, errors included (but not fatal signals).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

console.log(
  `bzzz MCP benchmark: tool calls over Streamable HTTP and WebSocket against a node on the embedded store ` +
    `(WAL, synchronous=FULL), node ${process.version}${args.quick ? ', --quick (10x fewer calls)' : ''}`,
);
let bench: BenchNode | undefined;
let load: LoadGenerator | undefined;
try {
  bench = await startBenchNode(dir);
  load = new LoadGenerator();
  console.log(
    `seeding ${AGENTS.toLocaleString('en-US')} agents and ${THREADS} threads through the actor system`,
  );
  const seeded = await seed(bench.node, AGENTS);
  const sample = lookupAgents(
    bench.node.readModel,
    parseAddress(String(LOOKUP_ARGUMENTS[1]!.semantic_address)),
  );
  console.log(
    `seeded in ${(seeded.agentsMs / 1000).toFixed(1)} s (agents, lookup view caught up) + ` +
      `${(seeded.threadsMs / 1000).toFixed(1)} s (threads); a lookup such as ` +
      `${String(LOOKUP_ARGUMENTS[1]!.semantic_address)} matches ${sample.length} agents`,
  );
  if (sample.length === 0) throw new Error('the seeded lookup view answers nothing');
  const eventsAtStart = await headPosition(bench);
  const rows: ResultRow[] = [];
  // Concurrency outside, transport inside: both transports of a concurrency see a store of about the same
  // size (every post run appends, and some per-append costs grow with the store).
  for (const concurrency of CONCURRENCIES) {
    for (const transport of TRANSPORTS) {
      const { measured, warmUp } = CALLS[concurrency]!;
      console.log(
        `running ${transport} c${concurrency}: ${concurrency} session(s) x (${warmUp} warm-up + ${measured} measured) ` +
          `calls per tool, in ${ROUNDS} rounds rotating ${NOOP_TOOL}, ${TOOLS.join(', ')}`,
      );
      rows.push(...(await measureGroup(bench, load, transport, concurrency)));
    }
  }
  console.log(
    `\n${renderTable(rows, GOALS)}\n\nthe store held ${eventsAtStart.toLocaleString('en-US')} events when the ` +
      `measurements began and ${(await headPosition(bench)).toLocaleString('en-US')} at the end (posts append)\n`,
  );
  console.log(
    [
      `ratio = ours / reference; the reference is ${NOOP_TOOL}, a tool that does nothing, on the same server,`,
      '  transport and sessions, measured in the same rounds. Latency: from callTool() to its result in the client',
      '  (another process), lower is better. Throughput: calls/s of all sessions together, higher is better.',
      'c1: one session, one call at a time. c32: 32 sessions, each with one call in flight (closed loop).',
      "server_cpu: CPU time of the server's main thread (its event loop) per call, worker threads left out",
      '  (Linux only); server_all_cpu: CPU time of every thread of the server process per call (event loop,',
      "  projection and audit workers, V8's garbage collector and compiler threads); client_cpu: CPU time of",
      '  the load generator per call. They count on a shared machine where wall-clock latency does not: at c32',
      "  the calls are bounded by the CPU they need, the event loop's first, then the machine's cores.",
      'bzzz_lookup: bzzz://*:<role>@<project> among 10,000 agents. bzzz_post: a text message into a thread by a',
      '  participant (durable append at synchronous=FULL, answered once durable; the read models catch up',
      '  after it, and every query waits for the views it reads to reflect the commands answered before it).',
    ].join('\n') + '\n',
  );
  const missed = rows.filter((row) => {
    const goal = goalOf(row, GOALS);
    return goal !== undefined && !goalMet(row, goal);
  });
  console.log(
    missed.length === 0
      ? `goals: all ${GOALS.length} met`
      : `goals: ${GOALS.length - missed.length} of ${GOALS.length} met; missed: ${missed.map((r) => r.case).join(', ')}`,
  );
  writeJson(args.out, rows);
  console.log(`wrote ${args.out}`);
} finally {
  await load?.close();
  await bench?.close();
  rmSync(dir, { recursive: true, force: true });
}
