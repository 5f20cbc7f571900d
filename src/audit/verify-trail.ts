import type { EventStore } from '../events/event-store.js';
import type { RecordedEvent } from '../events/types.js';
import { type Location, TrailChecker, type TrailIssue, type TrailReport } from './trail-checks.js';
import type { LeafRecord } from './leaf-runs.js';
import type { TrailDb } from './trail-db.js';
import { authorOf, bytesEqual, checkpointStream, eventLeafHash, isTrailEvent, toHex } from './trail.js';
import { DEFAULT_PAGE, LogProgress, logHead, type VerifyTrailOptions } from './verify-common.js';
import { verifyTrailFast } from './verify-fast.js';

export type { TrailFailure, TrailIssue, TrailReport } from './trail-checks.js';
export type { VerifyProgress, VerifyTrailOptions } from './verify-common.js';

const MAX_PROBES = 10_000;

/**
 * Verifies the trail of a node from the store alone (plus, if given, the recorded leaves): reads all
 * of `$all` once, recomputes every trail event's leaf from its canonical bytes, compares it with the
 * leaf recorded for that position, rebuilds the RFC 6962 tree, and checks every checkpoint in
 * `audit-<trail>`: signature, root at its size, consistency with the others. Returns every problem,
 * first in log order first.
 *
 * It first runs the fast pass (verify-fast.ts), which hashes the stored text without parsing it and
 * returns only a report this full pass would give word for word: a clean one. Anything else (a single
 * issue, a leaf it cannot vouch for) and this full pass runs from the start to name every problem;
 * progress then starts again from zero.
 */
export async function verifyTrail(options: VerifyTrailOptions): Promise<TrailReport> {
  return (await verifyTrailFast(options)) ?? verifyTrailFully(options);
}

/** The full pass: every event parsed and re-serialised, every problem named. */
export async function verifyTrailFully(options: VerifyTrailOptions): Promise<TrailReport> {
  const { store, trail } = options;
  const checker = new TrailChecker(trail, options.publicKey);
  const recorded = options.recorded && new RecordedLeaves(options.recorded, checker);
  const auditStream = checkpointStream(trail);
  const head = await logHead(store);
  const progress = new LogProgress(options, head);
  let scanned = 0;
  const counts = () => ({
    scanned,
    trailEvents: checker.tree.size,
    checkpoints: checker.checkpointEvents,
  });

  for await (const items of readEverything(store, options.pageSize ?? DEFAULT_PAGE)) {
    for (const item of items) {
      scanned++;
      const at: Location = { sortKey: item.position, position: item.position };
      recorded?.before(item.position);
      if ('error' in item) {
        recorded?.skip(item.position);
        checker.report(
          {
            reason: 'unreadable-event',
            message: `the event at position ${item.position} cannot be read back: ${item.error}`,
          },
          at,
        );
      } else {
        const event = item.event;
        if (event.stream === auditStream) {
          checker.addCheckpoint(event.type, event.data, at);
          recorded?.nonTrailEvent(event);
        } else if (isTrailEvent(event, trail)) {
          const leaf = eventLeafHash(event);
          const index = checker.addLeaf(leaf);
          recorded?.trailEvent(event, leaf, index);
        } else {
          recorded?.nonTrailEvent(event);
        }
      }
      progress.maybe(item.position, counts());
    }
  }
  recorded?.end();
  progress.report(head, counts());
  const extra: Partial<TrailReport> = recorded ? { recordedCompared: recorded.compared } : {};
  return checker.finish(scanned, options.maxIssues ?? 100, extra);
}

type Item = { position: bigint; event: RecordedEvent } | { position: bigint; error: string };

/**
 * Every entry of `$all` in order, a page at a time (one await per page, not per event). An entry the
 * store cannot decode fails its whole page, so the page is re-read one event at a time and the bad
 * entry is located by probing the positions after it.
 */
async function* readEverything(store: EventStore, pageSize: number): AsyncGenerator<Item[]> {
  let from = 0n;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readAll({ fromPosition: from, maxCount: pageSize });
    } catch {
      const single = await readOne(store, from);
      if ('event' in single) {
        if (single.event === undefined) return;
        yield [{ position: single.event.position, event: single.event }];
        from = single.event.position + 1n;
        continue;
      }
      // The first entry at or after `from` is unreadable: it sits just before the first readable probe.
      let probe = from + 1n;
      for (; probe <= from + BigInt(MAX_PROBES); probe++) {
        const next = await readOne(store, probe);
        if ('event' in next) break;
      }
      if (probe > from + BigInt(MAX_PROBES))
        throw new Error(`cannot read the log at position ${from}: ${single.error}`);
      yield [{ position: probe - 1n, error: single.error }];
      from = probe;
      continue;
    }
    yield page.map((event) => ({ position: event.position, event }));
    if (page.length < pageSize) return;
    from = page[page.length - 1]!.position + 1n;
  }
}

async function readOne(
  store: EventStore,
  from: bigint,
): Promise<{ event: RecordedEvent | undefined } | { error: string }> {
  try {
    const [event] = await store.readAll({ fromPosition: from, maxCount: 1 });
    return { event };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const RECORDED_PAGE = 2000;

/**
 * Walks the recorded leaves in step with the log. Positions are stable in the embedded store, so a
 * leaf recorded at position p is compared with whatever the log holds at p: the same event with other
 * bytes (leaf-mismatch), another event of the trail (order), nothing (missing-event)…
 */
class RecordedLeaves {
  readonly #db: TrailDb;
  readonly #checker: TrailChecker;
  readonly #followed: bigint | undefined;
  #buffer: LeafRecord[] = [];
  /** Next unconsumed entry of #buffer (an index, not shift(): pages hold thousands of leaves). */
  #at = 0;
  #nextIndex = 0;
  #exhausted = false;
  /** Recorded events not found at their position, by id: missing unless they turn up later (moved). */
  readonly #pending = new Map<string, TrailIssue>();
  /** Recorded events met (out of order) before their recorded position was reached. */
  readonly #seenElsewhere = new Set<string>();
  compared = 0;

  constructor(db: TrailDb, checker: TrailChecker) {
    this.#db = db;
    this.#checker = checker;
    this.#followed = db.followed;
  }

  #peek(): LeafRecord | undefined {
    if (this.#at === this.#buffer.length && !this.#exhausted) {
      const page = this.#db.page(this.#nextIndex, RECORDED_PAGE);
      this.#nextIndex += page.length;
      // Only what was recorded when verification began: a running writer may record more meanwhile.
      const horizon = this.#followed ?? -1n;
      this.#buffer = page.filter((row) => row.position <= horizon);
      this.#at = 0;
      if (page.length < RECORDED_PAGE || this.#buffer.length < page.length) this.#exhausted = true;
    }
    return this.#buffer[this.#at];
  }

  #take(): void {
    this.#at++;
  }

  /** Recorded leaves before `position` that the log did not hold: missing (or moved, seen later). */
  before(position: bigint): void {
    for (let row = this.#peek(); row && row.position < position; row = this.#peek()) {
      this.#take();
      this.#missing(row, `is no longer in the log (recorded at position ${row.position})`);
    }
  }

  /** The entry at `position` is unreadable (already reported): its recorded leaf is not missing. */
  skip(position: bigint): void {
    if (this.#peek()?.position === position) this.#take();
  }

  trailEvent(event: RecordedEvent, leaf: Uint8Array, index: number): void {
    const row = this.#peek();
    const here = row?.position === event.position ? row : undefined;
    if (here) this.#take();
    const where = { sortKey: event.position, position: event.position };
    const about = { eventId: event.id, stream: event.stream, revision: event.revision };
    if (here && here.eventId === event.id) {
      this.compared++;
      if (!bytesEqual(here.leaf, leaf)) {
        this.#checker.report(
          {
            reason: 'leaf-mismatch',
            message:
              `${event.stream}@${event.revision} (event ${event.id}) hashes to leaf ${toHex(leaf)}, ` +
              `but trail index ${here.index} was recorded as ${toHex(here.leaf)}: its content changed`,
            index: here.index,
            ...about,
          },
          where,
        );
      }
      return;
    }
    // The same event recorded elsewhere: (stream, revision) is indexed, the event id is not.
    // Only what was recorded when verification began (a running writer may have recorded this event since).
    const candidate = this.#db.byStreamRevision(event.stream, event.revision);
    const elsewhere =
      candidate?.eventId === event.id && candidate.position <= (this.#followed ?? -1n)
        ? candidate
        : undefined;
    if (elsewhere) {
      this.compared++;
      const changed = bytesEqual(elsewhere.leaf, leaf) ? '' : ', and its content changed';
      const message =
        `${event.stream}@${event.revision} (event ${event.id}, trail index ${elsewhere.index}) was recorded at ` +
        `position ${elsewhere.position} but is at position ${event.position}, as trail index ${index}${changed}`;
      const pending = this.#pending.get(event.id);
      if (pending) {
        // Reported missing where it was recorded; it moved: that is the first place the order broke.
        this.#pending.delete(event.id);
        Object.assign(pending, { reason: 'order', message });
      } else {
        this.#seenElsewhere.add(event.id);
        this.#checker.report({ reason: 'order', message, index: elsewhere.index, ...about }, where);
      }
    } else if (here || (this.#followed !== undefined && event.position <= this.#followed)) {
      this.#checker.report(
        {
          reason: 'unexpected-event',
          message:
            `${event.stream}@${event.revision} (event ${event.id}) at position ${event.position} was never ` +
            `recorded in the trail` +
            (here
              ? ` (trail index ${here.index} was event ${here.eventId} there)`
              : ': inserted after the fact'),
          index,
          ...about,
        },
        where,
      );
    }
    // The event recorded here is missing, unless it turns up further on (then: moved, out of order).
    if (here)
      this.#missing(here, `was recorded at position ${here.position}, which now holds event ${event.id}`);
  }

  nonTrailEvent(event: RecordedEvent): void {
    const row = this.#peek();
    if (row?.position !== event.position) return;
    this.#take();
    const what =
      event.id === row.eventId
        ? `is no longer authored by the trail's node (author ${JSON.stringify(authorOf(event) ?? null)}, stream ${event.stream})`
        : `was recorded at position ${row.position}, which now holds event ${event.id} of ${event.stream}`;
    this.#missing(row, what);
  }

  /** Recorded leaves beyond the end of the log are missing. */
  end(): void {
    for (let row = this.#peek(); row; row = this.#peek()) {
      this.#take();
      this.#missing(row, `is no longer in the log (recorded at position ${row.position}, past its end)`);
    }
  }

  #missing(row: LeafRecord, what: string): void {
    // Already met at another position (and reported there as out of order).
    if (this.#seenElsewhere.delete(row.eventId)) return;
    const issue = this.#checker.report(
      {
        reason: 'missing-event',
        message: `${row.stream}@${row.revision} (event ${row.eventId}, trail index ${row.index}) ${what}`,
        index: row.index,
        eventId: row.eventId,
        stream: row.stream,
        revision: row.revision,
      },
      { sortKey: row.position, position: row.position },
    );
    this.#pending.set(row.eventId, issue);
  }
}
