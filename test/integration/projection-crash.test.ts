/**
 * Exactly-once projections under SIGKILL: a child process (test/support/projection-worker-child.ts)
 * runs a ProjectionRunner with the counting projection and the real lookup projection over a store this
 * test prepared, into a read-model file. The test kills it with SIGKILL at random moments once it has
 * made progress (seen in the checkpoint table of the file), restarts it, and finally lets it catch up.
 * After every kill:
 *   - no committed batch is lost: each checkpoint is at least where the test saw it before the kill;
 *   - view and checkpoint moved together: the counting view is exactly the fold of the events up to its
 *     checkpoint (per stream count and sum), its checkpoint counts exactly those events, and the lookup
 *     view equals the lookup fold of the events up to its own checkpoint (an in-memory oracle).
 * Rounds wait for progress of both views, of counting only or of lookup only, so that the kills fall
 * into either view's batches.
 * At the end:
 *   - each stream's count and sum equal what the store holds: every event applied exactly once;
 *   - the lookup view equals a fresh rebuild into a new database (dumped and compared).
 * The store, the kill delays and the event ids come from a seeded PRNG (PROJECTION_CRASH_SEED replays
 * the data; the kill timing still varies with the machine).
 */
import { setTimeout as pollInterval } from 'node:timers/promises';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentProfile } from '../../src/actors/agent/agent-events.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { JsonObject } from '../../src/events/json.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import type { NewEvent, RecordedEvent } from '../../src/events/types.js';
import { lookupProjection } from '../../src/projections/lookup/lookup-projection.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { seededRandom, seededUuid } from '../support/crash-writer.js';
import { type Counts, foldCounts } from '../support/counting-projection.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/projection-worker-child.ts', import.meta.url));

const SEED = Number(process.env.PROJECTION_CRASH_SEED ?? 0x9c0de);
const EVENTS = 30_000;
const COUNTED_STREAMS = 200;
const AGENTS = 400;
/** Events per append wave: each wave appends one batch per stream, all in one group commit. */
const WAVE = 3000;
const KILLS = 12;
const MIN_KILLS = 8;
const MAX_KILL_DELAY_MS = 30;
const WAIT_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 90_000;

const live = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// --- the store the child projects ------------------------------------------------------------------

interface SimAgent {
  id: string;
  status: 'online' | 'offline' | 'error';
  tasks: string[];
  announced: boolean;
}

const ROLES = ['architect', 'reviewer', 'developer', 'tester'] as const;
const CAPABILITIES = ['typescript', 'sql', 'go', 'testing', 'docs', 'security'] as const;

function profileOf(random: () => number, n: number): AgentProfile {
  const capabilities = CAPABILITIES.filter(() => random() < 0.4);
  return {
    role: ROLES[n % ROLES.length]!,
    capabilities,
    specialization: capabilities[0] ?? 'general',
    max_tasks: 3,
    model: random() < 0.5 ? 'claude-sonnet-4' : null,
    system_prompt: null,
    cost_limits: null,
    project: `project-${n % 5}`,
    owner: null,
    heartbeat_timeout_s: 90,
  };
}

/** The next event of an agent, valid for the agent machine (tasks, errors, offline, profile updates). */
function nextAgentEvents(random: () => number, agent: SimAgent, n: number, at: string): AgentEvent[] {
  if (!agent.announced) {
    agent.announced = true;
    return [{ type: 'AgentAnnounced', agent_id: agent.id, ...profileOf(random, n), announced_at: at }];
  }
  if (agent.status === 'offline') {
    agent.status = 'online';
    return [{ type: 'AgentCameOnline', at }];
  }
  if (agent.status === 'error') {
    agent.status = 'online';
    return [{ type: 'AgentRecovered', at }];
  }
  const r = random();
  if (r < 0.25 && agent.tasks.length < 3) {
    const taskId = `task-${agent.id}-${Math.floor(random() * 1e9)}`;
    agent.tasks.push(taskId);
    return [
      {
        type: 'TaskAssigned',
        task_id: taskId,
        task_type: 'code_review',
        description: 'review',
        input: {},
        thread_id: null,
        assigned_at: at,
      },
      { type: 'TaskStarted', task_id: taskId, started_at: at },
    ];
  }
  if (r < 0.5 && agent.tasks.length > 0) {
    const taskId = agent.tasks.shift()!;
    const usage = { prompt_tokens: 100, completion_tokens: 20, cached_tokens: 0, cost_usd: 0.001 };
    return random() < 0.8
      ? [{ type: 'TaskCompleted', task_id: taskId, result: 'ok', usage, completed_at: at }]
      : [
          {
            type: 'TaskFailed',
            task_id: taskId,
            code: 'TASK_FAILED',
            reason: 'no',
            usage: null,
            failed_at: at,
          },
        ];
  }
  if (r < 0.6) return [{ type: 'AgentProfileUpdated', ...profileOf(random, n), updated_at: at }];
  if (r < 0.66) {
    agent.status = 'offline';
    return [{ type: 'AgentWentOffline', at, last_heartbeat: at }];
  }
  if (r < 0.7) {
    agent.status = 'error';
    return [{ type: 'AgentErrorReported', code: 'E', message: 'crashed', at }];
  }
  return [{ type: 'AgentHeartbeatReceived', at }];
}

/** About half counted events ({n}) over many streams, half agent events; appended in big waves. */
async function prepareStore(path: string, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const agents: SimAgent[] = Array.from({ length: AGENTS }, (_, n) => ({
    id: `agent${String(n).padStart(4, '0')}`,
    status: 'online',
    tasks: [],
    announced: false,
  }));
  const store = openSqliteEventStore({ path, nodeId: 'projection-crash-test', synchronous: 'OFF' });
  let written = 0;
  let time = Date.parse('2026-06-01T00:00:00Z');
  try {
    while (written < EVENTS) {
      const wave = new Map<string, NewEvent[]>();
      const add = (stream: string, event: NewEvent) => {
        const list = wave.get(stream);
        if (list) list.push(event);
        else wave.set(stream, [event]);
        written++;
      };
      for (let i = 0; i < WAVE && written < EVENTS;) {
        time += 1000;
        if (random() < 0.5) {
          add(`counted-${Math.floor(random() * COUNTED_STREAMS)}`, {
            id: seededUuid(random),
            type: 'Counted',
            data: { n: 1 + Math.floor(random() * 1000) },
          });
          i++;
          continue;
        }
        const n = Math.floor(random() * AGENTS);
        const agent = agents[n]!;
        for (const { type, ...data } of nextAgentEvents(random, agent, n, new Date(time).toISOString())) {
          add(`agent-${agent.id}`, { id: seededUuid(random), type, data: data as unknown as JsonObject });
          i++;
        }
      }
      await Promise.all([...wave].map(([stream, events]) => store.append(stream, events)));
    }
  } finally {
    await store.close();
  }
}

// --- reading the read-model file from outside the child -------------------------------------------

interface Checkpoint {
  position: bigint | undefined;
  events: number;
}

/** Opens the read-model file read-only; undefined while the child has not created it yet. */
function withReadModel<T>(path: string, read: (db: Database.Database) => T): T | undefined {
  if (!existsSync(path)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return read(db);
  } catch (error) {
    // Not created yet (no table, no WAL index): the caller polls again.
    if (error instanceof Error && /no such table|unable to open|SQLITE_CANTOPEN/i.test(error.message)) {
      return undefined;
    }
    throw error;
  } finally {
    db?.close();
  }
}

function readCheckpoints(path: string): Map<string, Checkpoint> | undefined {
  return withReadModel(path, (db) => {
    const rows = db.prepare('SELECT name, position, events FROM projection_checkpoints').all() as {
      name: string;
      position: string | null;
      events: number;
    }[];
    return new Map(
      rows.map((row) => [
        row.name,
        { position: row.position === null ? undefined : BigInt(row.position), events: row.events },
      ]),
    );
  });
}

function countingView(path: string): Counts {
  const counts = withReadModel(path, (db) =>
    db.prepare('SELECT stream, events, total FROM counting_counts ORDER BY stream').all(),
  );
  return (counts ?? []) as Counts;
}

/** What the counting view must hold after folding every event up to `position`. */
function expectedCounts(all: readonly RecordedEvent[], position: bigint | undefined): Counts {
  return foldCounts(all.filter((event) => position !== undefined && event.position <= position));
}

function dumpLookup(db: Database.Database): Record<string, unknown[]> {
  return {
    lookup_agents: db.prepare('SELECT * FROM lookup_agents ORDER BY id').all(),
    lookup_capabilities: db.prepare('SELECT * FROM lookup_capabilities ORDER BY capability, agent_id').all(),
  };
}

/** The lookup view folded in memory up to a position, one event at a time: what the child's view must equal. */
function lookupOracle(all: readonly RecordedEvent[]) {
  const db = openReadModelDatabase(':memory:');
  const writer = lookupProjection.open(db);
  let next = 0;
  return {
    foldUpTo(position: bigint | undefined) {
      db.transaction(() => {
        while (position !== undefined && next < all.length && all[next]!.position <= position) {
          writer.apply(all[next++]!);
        }
      })();
    },
    dump: () => dumpLookup(db),
    close: () => db.close(),
  };
}

// --- the child ------------------------------------------------------------------------------------

interface RunningChild {
  child: ChildProcess;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: () => boolean;
  stdout: () => string;
  stderr: () => string;
}

function startChild(storePath: string, readModelPath: string): RunningChild {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storePath, readModelPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      exited = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, closed, exited: () => exited, stdout: () => stdout, stderr: () => stderr };
}

/** Polls `probe` until it returns a value: a condition-based wait, never a fixed sleep. */
async function waitUntil<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting for ${what}`);
    await pollInterval(2);
  }
}

const VIEWS = ['counting', 'lookup'] as const;

function describeCheckpoints(checkpoints: ReadonlyMap<string, Checkpoint> | undefined): string {
  return VIEWS.map((name) => `${name}@${checkpoints?.get(name)?.position ?? 'none'}`).join(' ');
}

describe('projections: exactly once under SIGKILL (integration)', () => {
  it(
    'applies every event exactly once across random kills, and the lookup view equals a fresh rebuild',
    async () => {
      const seed = SEED;
      const dir = mkdtempSync(join(tmpdir(), 'bzzz-projection-crash-'));
      dirs.push(dir);
      const storePath = join(dir, 'events.db');
      const readModelPath = join(dir, 'read-model.db');
      const random = seededRandom(seed ^ 0x6b1);
      const log: string[] = [];
      let store: EventStore | undefined;
      let oracle: ReturnType<typeof lookupOracle> | undefined;
      try {
        await prepareStore(storePath, seed);
        store = openSqliteEventStore({ path: storePath, nodeId: 'projection-crash-checker' });
        const all = await store.readAll();
        const head = all[all.length - 1]!.position;
        expect(all.length, `seed ${seed}: events in the prepared store`).toBeGreaterThanOrEqual(EVENTS);

        oracle = lookupOracle(all);
        let kills = 0;
        let seen = readCheckpoints(readModelPath);
        for (let round = 0; round < KILLS; round++) {
          const running = startChild(storePath, readModelPath);
          const before = seen;
          // Progress in this round: the views it waits for moved past where they were (or are at the head).
          // Waiting for one view or both spreads the kills over either view's batches.
          const watched = round % 3 === 0 ? VIEWS : [VIEWS[round % 3 === 1 ? 0 : 1]];
          const progressed = await waitUntil(`progress of the child in round ${round}`, () => {
            if (running.exited()) return 'exited' as const;
            const now = readCheckpoints(readModelPath);
            if (!now) return undefined;
            const moved = watched.every((name) => {
              const position = now.get(name)?.position;
              const previous = before?.get(name)?.position;
              return (
                position !== undefined && (position === head || previous === undefined || position > previous)
              );
            });
            return moved ? now : undefined;
          });
          if (progressed === 'exited') {
            const { code, signal } = await running.closed;
            throw new Error(`seed ${seed}: the child ended on its own (code ${code}, signal ${signal}):
${running.stderr()}`);
          }
          // The random moment of the crash: the point of the test, not a wait for something to happen.
          const delay = Math.floor(random() * (MAX_KILL_DELAY_MS + 1));
          const timer = setTimeout(() => running.child.kill('SIGKILL'), delay);
          const { code, signal } = await running.closed;
          clearTimeout(timer);
          const caughtUp = running.stdout().startsWith('CAUGHT_UP');
          expect(
            signal === 'SIGKILL' || (code === 0 && caughtUp),
            `seed ${seed}: round ${round}: the child exited with code ${code} (signal ${signal}):\n${running.stderr()}`,
          ).toBe(true);

          seen = readCheckpoints(readModelPath);
          const counting = seen?.get('counting');
          log.push(
            `round ${round}: progress at ${describeCheckpoints(progressed)}, killed after ${delay} ms at ` +
              `${describeCheckpoints(seen)}${caughtUp ? ' (had caught up)' : ''}`,
          );
          for (const name of VIEWS) {
            const after = seen?.get(name)?.position ?? -1n;
            expect(
              after >= (progressed.get(name)?.position ?? -1n),
              `seed ${seed}: round ${round}: ${name} checkpoint went back to ${after} after the kill`,
            ).toBe(true);
          }
          // Each view and its checkpoint were committed together: the view is exactly the fold of the events
          // up to its checkpoint (counting: per stream; lookup: against the oracle folded that far).
          const prefix = expectedCounts(all, counting?.position);
          expect(countingView(readModelPath), `seed ${seed}: round ${round}: counting view`).toEqual(prefix);
          expect(counting?.events, `seed ${seed}: round ${round}: counting checkpoint's events`).toBe(
            prefix.reduce((sum, row) => sum + row.events, 0),
          );
          oracle.foldUpTo(seen?.get('lookup')?.position);
          expect(
            withReadModel(readModelPath, dumpLookup),
            `seed ${seed}: round ${round}: lookup view at ${seen?.get('lookup')?.position}`,
          ).toEqual(oracle.dump());
          if (caughtUp) break;
          if (VIEWS.some((name) => seen?.get(name)?.position !== head)) kills++;
        }

        // The last run: let it catch up with the head.
        const last = startChild(storePath, readModelPath);
        const { code, signal } = await last.closed;
        expect(
          { code, signal, stdout: last.stdout().trim() },
          `seed ${seed}: the final run:\n${last.stderr()}`,
        ).toEqual({ code: 0, signal: null, stdout: `CAUGHT_UP ${head}` });

        const final = readCheckpoints(readModelPath);
        expect(countingView(readModelPath), `seed ${seed}: every event counted exactly once`).toEqual(
          expectedCounts(all, head),
        );
        expect(final?.get('counting'), `seed ${seed}: counting checkpoint`).toEqual({
          position: head,
          events: all.length,
        });
        expect(final?.get('lookup')?.position, `seed ${seed}: lookup checkpoint`).toBe(head);

        const fresh = openReadModelDatabase(join(dir, 'fresh.db'));
        try {
          const runner = new ProjectionRunner(store, fresh, [lookupProjection]);
          const rebuilt = await runner.rebuild('lookup');
          await runner.stop();
          const dumped = withReadModel(readModelPath, dumpLookup);
          const expected = dumpLookup(fresh);
          expect(expected.lookup_agents!.length, `seed ${seed}: agents in the rebuilt view`).toBe(AGENTS);
          expect(dumped, `seed ${seed}: the lookup view after the crashes vs a fresh rebuild`).toEqual(
            expected,
          );
          expect(final?.get('lookup')?.events, `seed ${seed}: lookup checkpoint's events`).toBe(
            rebuilt.events,
          );
        } finally {
          fresh.close();
        }

        expect(kills, `seed ${seed}: kills that landed before the child caught up`).toBeGreaterThanOrEqual(
          MIN_KILLS,
        );
        console.info(
          `projection crash (seed ${seed}): ${all.length} events, ${kills} kills mid-run, then caught up\n  ` +
            log.join('\n  '),
        );
      } catch (error) {
        console.error(
          `projection crash test failed with seed ${seed} (replay with PROJECTION_CRASH_SEED=${seed}):\n  ` +
            log.join('\n  '),
        );
        throw error;
      } finally {
        oracle?.close();
        await store?.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
