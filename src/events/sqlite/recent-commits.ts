import type { PreparedEvent } from '../prepare-events.js';
import type { AppendResult, EventFilter, EventMetadata, RecordedEvent } from '../types.js';
import type { AppendJob } from './apply-append.js';
import { EVENT_TEXTS, type EventTexts } from '../event-wire.js';
import { isoTime } from '../iso-time.js';

/** An event this connection committed, as it wrote it. */
export interface Committed {
  position: number;
  stream: string;
  revision: number;
  event: Pick<PreparedEvent, 'id' | 'type' | 'dataText' | 'metadataText'>;
  recordedAt: number;
  /** The event as a read gives it back, parsed once for every reader (see {@link recorded}). */
  recorded?: RecordedEvent;
  /** A lone surrogate in the stream or type: stored as bytes that read back as U+FFFD, so not what a read gives. */
  lossy: boolean;
}

/** A follower of the head of the log: the position it has read up to (0 before the first event). */
export interface TailReader {
  cursor: number;
}

/** Events kept at most, whatever the readers; past that, the older half is dropped. */
const CAPACITY = 8192;
/** String#isWellFormed (ES2024, in Node 20; not in this project's ES2023 lib): no lone surrogate. */
const wellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * The events this connection committed lately, exactly as it wrote them, so that subscriptions
 * following the head of the log are served from memory instead of reading back what was just
 * written: `$all` subscriptions get the events parsed once and shared ({@link events}), the canonical
 * subscription of the trail gets its pages composed from the texts (recent-canonical-page.ts).
 *
 * An entry is kept until every reader following the head has read it (then it goes at once: kept
 * longer, it outlives the young generation and every scavenge copies it), and nothing is kept while
 * nobody follows. A read is served from here only when every entry it asks for is here, contiguous
 * from its start up to the head of the log; any gap (another connection's commit) and it goes to SQL.
 *
 * Positions are row ids: an append's rows get consecutive ones in its transaction, so the last one
 * (`AppendResult.position`) gives them all.
 */
export class RecentCommits {
  #committed: Committed[] = [];
  #staged: Committed[] = [];
  readonly #readers = new Set<TailReader>();

  /** A reader that has read up to `after` (undefined: nothing yet); stays until {@link release}. */
  follow(after: bigint | undefined): TailReader {
    const reader = { cursor: after === undefined ? 0 : Number(after) };
    this.#readers.add(reader);
    return reader;
  }

  release(reader: TailReader): void {
    this.#readers.delete(reader);
    this.#prune();
  }

  /** `reader` has read every event up to `cursor`: entries no reader needs any more go. */
  served(reader: TailReader, cursor: number): void {
    reader.cursor = cursor;
    this.#prune();
  }

  /** An append that wrote its events (not a replay), inside the group's transaction. */
  stage(job: AppendJob, result: AppendResult, recordedAt: number): void {
    if (this.#readers.size === 0) return;
    const count = job.events.length;
    const last = Number(result.position);
    for (let i = 0; i < count; i++) {
      const back = count - 1 - i;
      const { id, type, dataText, metadataText } = job.events[i]!;
      this.#staged.push({
        position: last - back,
        stream: job.stream,
        revision: result.nextExpectedRevision - back,
        event: { id, type, dataText, metadataText },
        recordedAt,
        lossy: !wellFormed(job.stream) || !wellFormed(type),
      });
    }
  }

  commit(): void {
    if (this.#staged.length === 0) return;
    for (const entry of this.#staged) this.#committed.push(entry);
    this.#staged = [];
    if (this.#committed.length > CAPACITY) this.#committed = this.#committed.slice(-CAPACITY / 2);
  }

  discard(): void {
    this.#staged = [];
  }

  /**
   * Where the entries from position `from` are: `entries[start]` onwards, contiguous, either `maxCount`
   * of them or all up to the head of the log (`head`, its last position now); undefined when memory
   * does not hold them. Entries are shared: read only.
   */
  range(
    from: number,
    maxCount: number,
    head: number | undefined,
  ): { entries: readonly Committed[]; start: number; end: number } | undefined {
    const entries = this.#committed;
    if (entries.length === 0 || head === undefined || from > head || maxCount === 0) return undefined;
    const start = lowerBound(entries, from);
    if (entries[start]?.position !== from) return undefined;
    const end = Math.min(entries.length, start + maxCount);
    const last = entries[end - 1]!.position;
    // Contiguous, and reaching the head unless the page is full.
    if (last - from !== end - 1 - start || (end - start < maxCount && last !== head)) return undefined;
    return { entries, start, end };
  }

  /**
   * What `readAll({fromPosition: from, maxCount: limit, filter})` would read, from memory; undefined
   * when memory does not hold all of it. The events are shared by every reader, frozen.
   */
  events(
    from: number,
    limit: number,
    head: number | undefined,
    filter: EventFilter | undefined,
    skip?: (stream: string, revision: number) => boolean,
  ): RecordedEvent[] | undefined {
    if (head !== undefined && from > head) return [];
    const prefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : undefined;
    const types = filter?.eventTypes?.length ? filter.eventTypes : undefined;
    // A filtered read scans up to the head (or `limit` matches): the whole rest must be here.
    const range = this.range(from, prefixes || types ? Number.POSITIVE_INFINITY : limit, head);
    if (range === undefined) return undefined;
    const { entries, start, end } = range;
    // A read that stops short of the head skips nothing: readers take a short page for "read to the head".
    if (entries[end - 1]!.position !== head) skip = undefined;
    const events: RecordedEvent[] = [];
    let skipped: Committed | undefined;
    for (let i = start; i < end && events.length < limit; i++) {
      const entry = entries[i]!;
      if (entry.lossy) return undefined;
      if (types !== undefined && !types.includes(entry.event.type)) continue;
      if (prefixes !== undefined && !prefixes.some((prefix) => entry.stream.startsWith(prefix))) continue;
      if (skip?.(entry.stream, entry.revision)) {
        skipped = entry;
        continue;
      }
      skipped = undefined;
      events.push(recorded(entry));
    }
    if (skipped !== undefined) events.push(recorded(skipped));
    return events;
  }

  #prune(): void {
    const committed = this.#committed;
    if (committed.length === 0) return;
    // Readers behind the first entry read the file until they reach it: they hold nothing.
    const first = committed[0]!.position;
    let keepAfter = Number.POSITIVE_INFINITY;
    for (const reader of this.#readers) {
      if (reader.cursor >= first - 1 && reader.cursor < keepAfter) keepAfter = reader.cursor;
    }
    if (keepAfter === Number.POSITIVE_INFINITY) {
      this.#committed = [];
      return;
    }
    const drop = lowerBound(committed, keepAfter + 1);
    if (drop > 0) this.#committed = committed.slice(drop);
  }
}

/** What an event built from stored text keeps: the texts, and what was parsed of them so far. */
interface StoredParts extends EventTexts {
  data?: RecordedEvent['data'];
  metadata?: EventMetadata;
}

type LazyEvent = { [EVENT_TEXTS]: StoredParts };

/*
 * Getters shared by every such event, so that they all share one hidden class. A getter written in the
 * object literal would be a new closure per event and give each event a hidden class of its own, held
 * in old space with everything the closure holds until a full collection.
 */
const LAZY_DATA: PropertyDescriptor = {
  enumerable: true,
  get(this: LazyEvent) {
    const parts = this[EVENT_TEXTS];
    return (parts.data ??= deepFreeze(JSON.parse(parts.dataText) as RecordedEvent['data']));
  },
};
const LAZY_METADATA: PropertyDescriptor = {
  enumerable: true,
  get(this: LazyEvent) {
    const parts = this[EVENT_TEXTS];
    return (parts.metadata ??= deepFreeze(JSON.parse(parts.metadataText) as EventMetadata));
  },
};

/**
 * The event as a read gives it back (rows.ts: toRecordedEvent), built once and frozen. Its data and
 * metadata are parsed when first asked for: a reader that looks only at streams and types (the
 * deadline tracker skipping the events its own process wrote) never pays for them, and the projection
 * worker is sent the texts (event-wire.ts).
 */
export function recorded(entry: Committed): RecordedEvent {
  if (entry.recorded !== undefined) return entry.recorded;
  const { position, stream, revision, event, recordedAt } = entry;
  const value = { id: event.id, stream, revision, position: BigInt(position), type: event.type };
  const parts: StoredParts = { dataText: event.dataText, metadataText: event.metadataText };
  Object.defineProperty(value, EVENT_TEXTS, { value: parts });
  Object.defineProperty(value, 'data', LAZY_DATA);
  Object.defineProperty(value, 'metadata', LAZY_METADATA);
  (value as { recordedAt?: string }).recordedAt = isoTime(recordedAt);
  entry.recorded = Object.freeze(value as RecordedEvent);
  return entry.recorded;
}

/** Freezes a parsed JSON value and everything in it: shared events cannot be changed by one reader. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key in value) deepFreeze(value[key]);
    Object.freeze(value);
  }
  return value;
}

/** Index of the first entry at or after `position`. */
function lowerBound(committed: readonly Committed[], position: number): number {
  let low = 0;
  let high = committed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (committed[mid]!.position < position) low = mid + 1;
    else high = mid;
  }
  return low;
}
