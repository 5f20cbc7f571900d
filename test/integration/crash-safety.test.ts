/**
 * Crash safety of the embedded store: a child process (test/support/crash-writer.ts) appends from 16
 * concurrent writers and is killed with SIGKILL at a random moment; the store file is then reopened
 * and checked against every append the child acknowledged on its stdout pipe:
 *   (a) every acknowledged append is present, same event ids at the same revisions and position;
 *   (b) no partial append: every batch in the store is whole, in order, at consecutive revisions and
 *       adjacent in $all, and is one the child actually sent;
 *   (c) every stream's revisions are contiguous from 0, without gaps or duplicates;
 *   (d) $all positions strictly increase;
 *   (e) the store accepts writes again (one exact-revision append per stream, plus a new stream).
 * Fresh files are killed once each; other files are reused across kills, so later rounds append to a
 * store recovered from the previous crash and every earlier acknowledgement is checked again.
 *
 * A SIGKILL exercises process crashes (the OS keeps its page cache), not power loss.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { EVENT_TYPE, STREAM_PREFIX, seededRandom, seededUuid } from '../support/crash-writer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = fileURLToPath(new URL('../support/crash-writer.ts', import.meta.url));

/** Fixed so a failure can be replayed (the kill timing still varies); override with CRASH_SEED. */
const BASE_SEED = Number(process.env.CRASH_SEED ?? 0x0b22);
const FRESH_ROUNDS = 10;
const REUSED_FILES = 3;
const ROUNDS_PER_REUSED_FILE = 5;
const MIN_ACKS_BEFORE_KILL = 20;
const MAX_ACKS_BEFORE_KILL = 400;
const MAX_KILL_DELAY_MS = 30;
const TEST_TIMEOUT_MS = 60_000;
const MAX_REPORTED_PROBLEMS = 40;

interface SentBatch {
  stream: string;
  size: number;
  ids: string[];
}

interface Ack {
  stream: string;
  first: number;
  last: number;
  batchId: string;
  ids: string[];
  position: bigint;
}

/** What the writers of one store file have sent and had acknowledged, over all its rounds. */
interface FileHistory {
  sent: Map<string, SentBatch>;
  acks: Ack[];
}

interface RoundResult {
  acked: number;
  /** Batches sent but never acknowledged when the child died: appends in flight at the kill. */
  inFlight: number;
}

interface CheckResult {
  acksChecked: number;
  eventsChecked: number;
  batchesChecked: number;
  /** Batches durable in the store although the child died before acknowledging them (allowed). */
  committedUnacked: number;
  probeAppends: number;
}

interface Totals {
  rounds: number;
  /** Appends the children acknowledged; acksChecked counts each again after every later crash of its file. */
  acked: number;
  acksChecked: number;
  eventsChecked: number;
  batchesChecked: number;
  inFlightRounds: number;
  committedUnacked: number;
  probeAppends: number;
}

const live = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-crash-'));
  dirs.push(dir);
  return dir;
}

function newHistory(): FileHistory {
  return { sent: new Map(), acks: [] };
}

function newTotals(): Totals {
  return {
    rounds: 0,
    acked: 0,
    acksChecked: 0,
    eventsChecked: 0,
    batchesChecked: 0,
    inFlightRounds: 0,
    committedUnacked: 0,
    probeAppends: 0,
  };
}

/** Parses one protocol line of the child into the file's history. */
function record(
  line: string,
  history: FileHistory,
  seed: number,
): { kind: 'ready' | 'send' | 'ack'; batchId: string } {
  const parts = line.split(' ');
  if (parts[0] === 'READY' && parts.length === 1) return { kind: 'ready', batchId: '' };
  if (parts[0] === 'SEND' && parts.length === 5) {
    const [, stream, batchId, size, ids] = parts as [string, string, string, string, string];
    history.sent.set(batchId, { stream, size: Number(size), ids: ids.split(',') });
    return { kind: 'send', batchId };
  }
  if (parts[0] === 'ACK' && parts.length === 7) {
    const [, stream, first, last, batchId, ids, position] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    history.acks.push({
      stream,
      first: Number(first),
      last: Number(last),
      batchId,
      ids: ids.split(','),
      position: BigInt(position),
    });
    return { kind: 'ack', batchId };
  }
  throw new Error(`seed ${seed}: malformed line from the crash writer: ${JSON.stringify(line)}`);
}

/**
 * Runs the child on `dbPath` until it has acknowledged `threshold` appends, kills it with SIGKILL after
 * `killDelayMs`, and returns once every line it wrote has been read.
 */
async function crashRound(
  dbPath: string,
  seed: number,
  threshold: number,
  killDelayMs: number,
  history: FileHistory,
): Promise<RoundResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbPath, String(seed)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const ackedBefore = history.acks.length;
  const sentThisRound = new Set<string>();
  const ackedThisRound = new Set<string>();
  let stderr = '';
  let pending = '';
  let malformed: unknown;

  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const reached = deferred();
  // Rejects on close rather than exit, so that the message carries all of the child's stderr.
  void closed.then(({ code, signal }) => {
    reached.reject(
      new Error(`seed ${seed}: crash writer ended on its own (code ${code}, signal ${signal}) before ${threshold} acks:
${stderr}`),
    );
  });
  child.once('error', (error) => reached.reject(error));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const { kind, batchId } = record(line, history, seed);
        if (kind === 'send') sentThisRound.add(batchId);
        if (kind === 'ack') ackedThisRound.add(batchId);
      } catch (error) {
        malformed ??= error;
      }
    }
    if (history.acks.length - ackedBefore >= threshold) reached.resolve();
  });

  await reached.promise;
  // The random moment of the crash: the point of the test, not a wait for something to happen.
  const timer = setTimeout(() => child.kill('SIGKILL'), killDelayMs);
  const { code, signal } = await closed;
  clearTimeout(timer);
  live.delete(child);

  if (malformed) throw malformed;
  expect(
    signal,
    `seed ${seed}: the crash writer exited with code ${code} instead of being killed:\n${stderr}`,
  ).toBe('SIGKILL');
  expect(pending, `seed ${seed}: a line was cut in half on the pipe`).toBe('');
  expect(stderr, `seed ${seed}: the crash writer complained`).toBe('');
  let inFlight = 0;
  for (const batchId of sentThisRound) if (!ackedThisRound.has(batchId)) inFlight++;
  return { acked: history.acks.length - ackedBefore, inFlight };
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function isBatchData(data: unknown): data is { batchId: string; index: number; size: number } {
  if (typeof data !== 'object' || data === null) return false;
  const { batchId, index, size } = data as Record<string, unknown>;
  return typeof batchId === 'string' && Number.isSafeInteger(index) && Number.isSafeInteger(size);
}

/** Reopens the store after a crash and checks (a)–(e); every violation is listed in the failure. */
async function checkStore(dbPath: string, history: FileHistory, seed: number): Promise<CheckResult> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(text);
  };
  const store: EventStore = openSqliteEventStore({ path: dbPath, nodeId: `crash-checker-${seed}` });
  try {
    const all = await store.readAll();

    // (d) $all positions strictly increase.
    for (let i = 1; i < all.length; i++) {
      const before = all[i - 1]!.position;
      const after = all[i]!.position;
      if (after <= before) problem(`$all position ${after} at index ${i} does not follow ${before}`);
    }

    // (c) every stream contiguous from 0, in $all order as in its own read.
    const byStream = new Map<string, RecordedEvent[]>();
    for (const event of all) {
      const list = byStream.get(event.stream) ?? [];
      list.push(event);
      byStream.set(event.stream, list);
    }
    for (const [stream, list] of byStream) {
      list.forEach((event, revision) => {
        if (event.revision !== revision) {
          problem(`${stream}: event ${event.id} has revision ${event.revision} where ${revision} was due`);
        }
      });
      const read = await store.readStream(stream);
      const readIds = read.map((event) => `${event.revision}:${event.id}`).join(' ');
      const allIds = list.map((event) => `${event.revision}:${event.id}`).join(' ');
      if (readIds !== allIds) problem(`${stream}: readStream and $all disagree`);
    }

    // (b) no partial append: each batch whole, in order, consecutive, adjacent in $all, and as sent.
    const batches = new Map<string, number[]>();
    all.forEach((event, at) => {
      if (event.type !== EVENT_TYPE || !isBatchData(event.data)) {
        problem(`event ${event.id} at ${event.position} is not one the writers wrote`);
        return;
      }
      const indexes = batches.get(event.data.batchId) ?? [];
      indexes.push(at);
      batches.set(event.data.batchId, indexes);
    });
    const acked = new Set(history.acks.map((ack) => ack.batchId));
    let committedUnacked = 0;
    for (const [batchId, indexes] of batches) {
      const events = indexes.map((at) => all[at]!);
      const first = events[0]!;
      const size = isBatchData(first.data) ? first.data.size : -1;
      const sent = history.sent.get(batchId);
      if (!sent) problem(`batch ${batchId} is in the store but was never sent`);
      else if (
        sent.ids.join(',') !== events.map((event) => event.id).join(',') ||
        sent.stream !== first.stream
      ) {
        problem(`batch ${batchId} in ${first.stream} differs from what was sent to ${sent.stream}`);
      }
      if (events.length !== size)
        problem(`batch ${batchId}: ${events.length} of its ${size} events are stored`);
      events.forEach((event, i) => {
        const data = event.data as { index: number; size: number };
        if (event.stream !== first.stream)
          problem(`batch ${batchId} spans ${first.stream} and ${event.stream}`);
        if (data.index !== i || data.size !== size)
          problem(`batch ${batchId}: event ${i} carries index ${data.index}`);
        if (event.revision !== first.revision + i)
          problem(`batch ${batchId}: revision ${event.revision} not consecutive`);
        if (indexes[i] !== indexes[0]! + i)
          problem(`batch ${batchId}: interleaved with other events in $all`);
      });
      if (!acked.has(batchId)) committedUnacked++;
    }

    // (a) every acknowledged append present: same ids, same revisions, same position.
    for (const ack of history.acks) {
      const list = byStream.get(ack.stream) ?? [];
      if (ack.last - ack.first + 1 !== ack.ids.length)
        problem(`ack ${ack.batchId}: revisions do not match its size`);
      ack.ids.forEach((id, i) => {
        const event = list[ack.first + i];
        if (!event) problem(`ack ${ack.batchId}: ${ack.stream}@${ack.first + i} (${id}) is lost`);
        else if (event.id !== id)
          problem(`ack ${ack.batchId}: ${ack.stream}@${ack.first + i} is ${event.id}, not ${id}`);
        else if (!isBatchData(event.data) || event.data.batchId !== ack.batchId) {
          problem(`ack ${ack.batchId}: ${ack.stream}@${ack.first + i} belongs to another batch`);
        }
      });
      const last = list[ack.last];
      if (last && last.position !== ack.position) {
        problem(`ack ${ack.batchId}: acknowledged at position ${ack.position}, stored at ${last.position}`);
      }
    }

    const acksChecked = history.acks.length;

    // (e) writable again: one append per stream at its exact revision, and a stream that is new.
    const probes = [...byStream.entries()].map(([stream, list]) => ({ stream, head: list.length - 1 }));
    probes.push({ stream: `${STREAM_PREFIX}probe-${seed}`, head: -1 });
    const random = seededRandom(seed ^ 0x5eed);
    const results = await Promise.allSettled(
      probes.map(async ({ stream, head }) => {
        const batchId = `probe.${seed}.${stream}`;
        const id = seededUuid(random);
        history.sent.set(batchId, { stream, size: 1, ids: [id] });
        const result = await store.append(
          stream,
          [{ id, type: EVENT_TYPE, data: { batchId, index: 0, size: 1 } }],
          {
            expectedRevision: head < 0 ? 'no_stream' : head,
          },
        );
        if (result.nextExpectedRevision !== head + 1) {
          problem(`probe append to ${stream} landed at ${result.nextExpectedRevision}, not ${head + 1}`);
        }
        history.acks.push({
          stream,
          first: head + 1,
          last: head + 1,
          batchId,
          ids: [id],
          position: result.position,
        });
        const [back] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        if (back?.id !== id) problem(`probe append to ${stream} is not the stream's last event`);
      }),
    );
    results.forEach((result, i) => {
      if (result.status === 'rejected')
        problem(`probe append to ${probes[i]?.stream} failed: ${String(result.reason)}`);
    });

    expect(problems, `seed ${seed}: the store after the crash (${dbPath})`).toEqual([]);
    return {
      acksChecked,
      eventsChecked: all.length,
      batchesChecked: batches.size,
      committedUnacked,
      probeAppends: probes.length,
    };
  } finally {
    await store.close();
  }
}

/** One crash and one check of `dbPath`, with the kill point drawn from the round's own seed. */
async function crashAndCheck(
  dbPath: string,
  seed: number,
  history: FileHistory,
  totals: Totals,
): Promise<CheckResult> {
  const random = seededRandom(seed);
  const threshold =
    MIN_ACKS_BEFORE_KILL + Math.floor(random() * (MAX_ACKS_BEFORE_KILL - MIN_ACKS_BEFORE_KILL + 1));
  const killDelayMs = Math.floor(random() * (MAX_KILL_DELAY_MS + 1));
  const round = await crashRound(dbPath, seed, threshold, killDelayMs, history);
  expect(round.acked, `seed ${seed}: acknowledged appends before the kill`).toBeGreaterThanOrEqual(threshold);
  const check = await checkStore(dbPath, history, seed);
  totals.rounds++;
  totals.acked += round.acked;
  totals.acksChecked += check.acksChecked;
  totals.eventsChecked += check.eventsChecked;
  totals.batchesChecked += check.batchesChecked;
  totals.committedUnacked += check.committedUnacked;
  totals.probeAppends += check.probeAppends;
  if (round.inFlight > 0) totals.inFlightRounds++;
  return check;
}

function report(name: string, totals: Totals): void {
  console.info(
    `${name}: ${totals.rounds} rounds, ${totals.acked} appends acknowledged, ${totals.acksChecked} acknowledgements ` +
      `and ${totals.eventsChecked} events checked (${totals.batchesChecked} batches), ${totals.inFlightRounds} rounds killed with appends in flight, ` +
      `${totals.committedUnacked} batches committed but never acknowledged, ${totals.probeAppends} appends after recovery`,
  );
}

describe('embedded event store: crash safety under SIGKILL (integration)', () => {
  it(
    'keeps every acknowledged append and no partial one when killed mid-write (fresh store each round)',
    async () => {
      const totals = newTotals();
      for (let round = 0; round < FRESH_ROUNDS; round++) {
        const seed = BASE_SEED + round;
        await crashAndCheck(join(tempDir(), 'store.db'), seed, newHistory(), totals);
      }
      report('fresh stores', totals);
      expect(totals.rounds).toBe(FRESH_ROUNDS);
      expect(totals.acksChecked).toBeGreaterThanOrEqual(FRESH_ROUNDS * MIN_ACKS_BEFORE_KILL);
      expect(totals.eventsChecked).toBeGreaterThanOrEqual(totals.acksChecked);
      expect(totals.inFlightRounds).toBeGreaterThan(0);
      expect(totals.probeAppends).toBeGreaterThan(FRESH_ROUNDS);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'recovers a store crashed again and again: earlier acknowledgements survive later crashes',
    async () => {
      const totals = newTotals();
      for (let file = 0; file < REUSED_FILES; file++) {
        const dbPath = join(tempDir(), 'store.db');
        const history = newHistory();
        let eventsBefore = 0;
        for (let round = 0; round < ROUNDS_PER_REUSED_FILE; round++) {
          const seed = BASE_SEED + 1000 * (file + 1) + round;
          const check = await crashAndCheck(dbPath, seed, history, totals);
          // The store kept what the earlier rounds wrote (probes included) and this round added to it.
          expect(check.eventsChecked, `seed ${seed}: events in the recovered store`).toBeGreaterThan(
            eventsBefore,
          );
          eventsBefore = check.eventsChecked + check.probeAppends;
        }
      }
      report('reused stores', totals);
      expect(totals.rounds).toBe(REUSED_FILES * ROUNDS_PER_REUSED_FILE);
      expect(totals.acksChecked).toBeGreaterThanOrEqual(totals.rounds * MIN_ACKS_BEFORE_KILL);
      expect(totals.eventsChecked).toBeGreaterThanOrEqual(totals.acksChecked);
      expect(totals.inFlightRounds).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});
