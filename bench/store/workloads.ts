import type { EventStore } from '../../src/events/event-store.js';
import type { EventFilter, ExpectedRevision } from '../../src/events/types.js';
import { newEvents } from './payload.js';
import type { RawInsert, RawSqliteReference } from './raw-sqlite.js';

/**
 * A write workload: `writers` concurrent writers, each making `appends` appends of `eventsPerAppend`
 * events, round-robin over its own `streamsPerWriter` streams, awaiting each append before the next.
 */
export interface WriteSpec {
  writers: number;
  appends: number;
  eventsPerAppend: number;
  streamsPerWriter: number;
}

export interface Measurement {
  elapsedMs: number;
  events: number;
  /** Acknowledgement latency in ms: per append for the store, per transaction for the reference. */
  latencies: number[];
}

/** Several measured runs as one: total events over total time, all latency samples. */
export function combine(runs: readonly Measurement[]): Measurement {
  return {
    elapsedMs: runs.reduce((sum, run) => sum + run.elapsedMs, 0),
    events: runs.reduce((sum, run) => sum + run.events, 0),
    latencies: runs.flatMap((run) => run.latencies),
  };
}

function streamName(prefix: string, writer: number, slot: number): string {
  return `${prefix}-w${writer}-s${slot}`;
}

/** Runs the workload against the store, with exact expected revisions. */
export async function storeWrites(store: EventStore, spec: WriteSpec, prefix: string): Promise<Measurement> {
  const latencies: number[] = [];
  const writer = async (w: number) => {
    const revisions: ExpectedRevision[] = Array.from({ length: spec.streamsPerWriter }, () => 'no_stream');
    for (let n = 0; n < spec.appends; n++) {
      const slot = n % spec.streamsPerWriter;
      const events = newEvents(spec.eventsPerAppend, n * spec.eventsPerAppend);
      const started = performance.now();
      const result = await store.append(streamName(prefix, w, slot), events, {
        expectedRevision: revisions[slot],
      });
      latencies.push(performance.now() - started);
      revisions[slot] = result.nextExpectedRevision;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.writers }, (_, w) => writer(w)));
  const elapsedMs = performance.now() - started;
  return { elapsedMs, events: spec.writers * spec.appends * spec.eventsPerAppend, latencies };
}

/**
 * The same inserts on the reference: round n of every writer goes into one transaction, so the
 * reference commits `appends` times with `writers * eventsPerAppend` rows each.
 */
export function rawWrites(raw: RawSqliteReference, spec: WriteSpec, prefix: string): Measurement {
  const latencies: number[] = [];
  const started = performance.now();
  for (let n = 0; n < spec.appends; n++) {
    const slot = n % spec.streamsPerWriter;
    const firstRevision = Math.floor(n / spec.streamsPerWriter) * spec.eventsPerAppend;
    const inserts: RawInsert[] = [];
    for (let w = 0; w < spec.writers; w++) {
      newEvents(spec.eventsPerAppend, n * spec.eventsPerAppend).forEach((event, i) => {
        inserts.push({ stream: streamName(prefix, w, slot), revision: firstRevision + i, event });
      });
    }
    const committing = performance.now();
    raw.commit(inserts);
    latencies.push(performance.now() - committing);
  }
  const elapsedMs = performance.now() - started;
  return { elapsedMs, events: spec.writers * spec.appends * spec.eventsPerAppend, latencies };
}

/**
 * Fills the store with `count` events (100 per append, 64 appends per group commit), unmeasured, in
 * streams `<streamPrefix>-0` to `<streamPrefix>-255`.
 */
export async function fillStore(store: EventStore, count: number, streamPrefix = 'fill'): Promise<void> {
  const perAppend = 100;
  const appends = Math.ceil(count / perAppend);
  for (let done = 0; done < appends; done += 64) {
    const wave = Array.from({ length: Math.min(64, appends - done) }, (_, i) => {
      const n = done + i;
      return store.append(
        `${streamPrefix}-${n % 256}`,
        newEvents(Math.min(perAppend, count - n * perAppend), n * perAppend),
      );
    });
    await Promise.all(wave);
  }
}

/** Fills the reference with the same rows, 6,400 per transaction, unmeasured. */
export function fillRaw(raw: RawSqliteReference, count: number): void {
  const perAppend = 100;
  const revisions = new Map<string, number>();
  let inserts: RawInsert[] = [];
  for (let n = 0; n * perAppend < count; n++) {
    const stream = `fill-${n % 256}`;
    for (const event of newEvents(Math.min(perAppend, count - n * perAppend), n * perAppend)) {
      const revision = revisions.get(stream) ?? 0;
      revisions.set(stream, revision + 1);
      inserts.push({ stream, revision, event });
    }
    if (inserts.length >= 6400) {
      raw.commit(inserts);
      inserts = [];
    }
  }
  if (inserts.length > 0) raw.commit(inserts);
}

/**
 * Reads the whole `$all` in pages of `pageSize` (up to `limit` events when given); with a filter, only
 * the matching events (a shared server holds other runs' events too).
 */
export async function storeReadAll(
  store: EventStore,
  pageSize: number,
  limit = Infinity,
  filter?: EventFilter,
): Promise<Measurement> {
  const started = performance.now();
  let from: bigint | 'start' = 'start';
  let events = 0;
  while (events < limit) {
    const page = await store.readAll({
      fromPosition: from,
      maxCount: pageSize,
      ...(filter === undefined ? {} : { filter }),
    });
    const last = page[page.length - 1];
    if (!last) break;
    events += page.length;
    from = last.position + 1n;
  }
  return { elapsedMs: performance.now() - started, events, latencies: [] };
}

/** The same scan on the reference. */
export function rawReadAll(raw: RawSqliteReference, pageSize: number, limit = Infinity): Measurement {
  const started = performance.now();
  let from = 0;
  let events = 0;
  while (events < limit) {
    const page = raw.readPage(from, pageSize);
    const last = page[page.length - 1];
    if (!last) break;
    events += page.length;
    from = last.position + 1;
  }
  return { elapsedMs: performance.now() - started, events, latencies: [] };
}
