/**
 * Child program of the crash-safety test (test/integration/crash-safety.test.ts):
 *
 *   node --import tsx test/support/crash-writer.ts <dbPath> <seed>
 *
 * Opens the embedded store and runs WRITERS concurrent writers until it is killed. Each writer appends
 * batches of 1–5 events to one of STREAMS streams, mostly with an exact expectedRevision (retrying on
 * WrongExpectedRevisionError after re-reading the stream's head), sometimes with 'any'. Every choice
 * and every event id comes from a PRNG seeded with <seed>.
 *
 * Protocol on stdout, one line each, written synchronously to fd 1 so that no line sits in a userland
 * buffer when the process is killed:
 *   READY
 *   SEND <stream> <batchId> <size> <id,id,...>                    before each append call
 *   ACK <stream> <firstRevision> <lastRevision> <batchId> <id,id,...> <position>
 *                                                                 after the append resolved
 * Any unexpected failure is reported on stderr and ends the process with a non-zero code.
 */
import '../../src/polyfill.js';
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WrongExpectedRevisionError } from '../../src/events/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import type { ExpectedRevision, NewEvent } from '../../src/events/types.js';

export const WRITERS = 16;
export const STREAMS = 40;
export const STREAM_PREFIX = 'crash-';
export const EVENT_TYPE = 'CrashTestEvent';
const ANY_RATIO = 0.15;
const MAX_BATCH = 5;

/** The payload of every event this program writes. */
export interface CrashEventData {
  [key: string]: string | number;
  batchId: string;
  index: number;
  size: number;
}

/** mulberry32: small, fast, good enough to drive the test's choices reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID drawn from the seeded generator. */
export function seededUuid(random: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + Math.floor(random() * 4)).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function writeLine(fd: number, line: string): void {
  const buffer = Buffer.from(`${line}\n`);
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (error) {
      // A non-blocking pipe that is momentarily full: try again (the parent keeps draining it).
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      // EPIPE and the like: the parent is gone, and so is the point of running.
      process.exit(3);
    }
  }
}

function fail(message: string, error?: unknown): never {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error ?? '');
  writeLine(2, `crash-writer: ${message} ${detail}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const [dbPath, seedText] = process.argv.slice(2);
  const seed = Number(seedText);
  if (!dbPath || !Number.isSafeInteger(seed)) fail('usage: crash-writer.ts <dbPath> <seed>');

  const random = seededRandom(seed);
  const store: EventStore = openSqliteEventStore({ path: dbPath, nodeId: `crash-writer-${seed}` });
  /** What the writers believe each stream's last revision to be ('no_stream' before its first event). */
  const known = new Map<string, number | 'no_stream'>();
  let batches = 0;

  const headOf = async (stream: string): Promise<number | 'no_stream'> => {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : 'no_stream';
  };

  const appendOnce = async (writer: number): Promise<void> => {
    const stream = `${STREAM_PREFIX}${Math.floor(random() * STREAMS)}`;
    const size = 1 + Math.floor(random() * MAX_BATCH);
    const useAny = random() < ANY_RATIO;
    const batchId = `${seed}.${writer}.${batches++}`;
    const events: NewEvent<string, CrashEventData>[] = [];
    for (let index = 0; index < size; index++) {
      events.push({ id: seededUuid(random), type: EVENT_TYPE, data: { batchId, index, size } });
    }
    const ids = events.map((event) => event.id).join(',');
    writeLine(1, `SEND ${stream} ${batchId} ${size} ${ids}`);

    for (;;) {
      let expected: ExpectedRevision = 'any';
      if (!useAny) {
        let head = known.get(stream);
        if (head === undefined) {
          head = await headOf(stream);
          known.set(stream, head);
        }
        expected = head;
      }
      try {
        const result = await store.append(stream, events, { expectedRevision: expected });
        const last = result.nextExpectedRevision;
        const first = last - size + 1;
        writeLine(1, `ACK ${stream} ${first} ${last} ${batchId} ${ids} ${result.position}`);
        const head = known.get(stream);
        if (head === undefined || head === 'no_stream' || head < last) known.set(stream, last);
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError))
          fail(`append ${batchId} to ${stream} failed`, error);
        known.set(stream, await headOf(stream));
      }
    }
  };

  const writer = async (id: number): Promise<never> => {
    for (;;) await appendOnce(id);
  };

  writeLine(1, 'READY');
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id)));
}

// Run only as a program: the test imports the helpers above without starting any writer.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => fail('stopped', error));
}
