/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Reads over the in-memory log with the server's semantics:
 * - a stream read starts at a revision (inclusive, both directions), honours the stream's metadata
 *   (`$tb`, `$maxCount`, `$maxAge`), reports a missing or soft-deleted stream as not found and a
 *   tombstoned one as deleted;
 * - `$all` shows every record, system ones and retention-hidden ones included; reading forwards
 *   starts at a position inclusively, reading backwards returns the records before the position;
 *   a server-side filter (stream name or event type, by prefixes or a regex) chooses what counts.
 */
import type { InMemoryLog, LogRecord } from './log.js';
import { streamsPb } from './protocol.js';

export type Direction = 'forwards' | 'backwards';
export type RevisionStart = bigint | 'start' | 'end';

export type StreamRead =
  { kind: 'events'; records: LogRecord[] } | { kind: 'not-found' } | { kind: 'deleted' };

/** The first event number a stream read may show, and the oldest creation time (ms). */
export function visibleFrom(
  log: InMemoryLog,
  stream: string,
): { minEventNumber: bigint; minCreated: number } {
  const retention = log.retention(stream);
  const last = log.lastEventNumber(stream);
  let minEventNumber = retention.truncateBefore ?? 0n;
  if (retention.maxCount !== undefined) {
    const byCount = last - BigInt(retention.maxCount) + 1n;
    if (byCount > minEventNumber) minEventNumber = byCount;
  }
  const minCreated =
    retention.maxAgeSeconds === undefined ? -Infinity : log.now() - retention.maxAgeSeconds * 1000;
  return { minEventNumber, minCreated };
}

export function readStream(
  log: InMemoryLog,
  stream: string,
  from: RevisionStart,
  direction: Direction,
  count: bigint,
): StreamRead {
  if (log.isTombstoned(stream)) return { kind: 'deleted' };
  const events = log.eventsOf(stream);
  if (events.length === 0 || log.isSoftDeleted(stream)) return { kind: 'not-found' };
  const { minEventNumber, minCreated } = visibleFrom(log, stream);
  const last = events[events.length - 1]!.eventNumber;
  const visible = (record: LogRecord) => record.eventNumber >= minEventNumber && record.created >= minCreated;
  const records: LogRecord[] = [];
  if (direction === 'forwards') {
    let start = from === 'start' ? 0n : from === 'end' ? last + 1n : from;
    if (start < minEventNumber) start = minEventNumber;
    for (let n = start; n <= last && BigInt(records.length) < count; n++) {
      const record = events[Number(n)]!;
      if (visible(record)) records.push(record);
    }
  } else {
    const start = from === 'end' ? last : from === 'start' ? 0n : from > last ? last : from;
    for (let n = start; n >= minEventNumber && BigInt(records.length) < count; n--) {
      const record = events[Number(n)]!;
      if (visible(record)) records.push(record);
    }
  }
  return { kind: 'events', records };
}

/** A server-side `$all` filter, from the request's FilterOptions. */
export type RecordFilter = (record: LogRecord) => boolean;

export function filterFrom(
  options: InstanceType<typeof streamsPb.ReadReq.Options.FilterOptions> | undefined,
): RecordFilter {
  if (!options) return () => true;
  const Case = streamsPb.ReadReq.Options.FilterOptions.FilterCase;
  const onStream = options.getFilterCase() === Case.STREAM_IDENTIFIER;
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType();
  const subject = (record: LogRecord) => (onStream ? record.stream : record.type);
  const regex = expression?.getRegex() ?? '';
  if (regex !== '') {
    const pattern = new RegExp(regex);
    return (record) => pattern.test(subject(record));
  }
  const prefixes = expression?.getPrefixList() ?? [];
  return (record) => prefixes.some((prefix) => subject(record).startsWith(prefix));
}

export type PositionStart = bigint | 'start' | 'end';

export function readAll(
  log: InMemoryLog,
  from: PositionStart,
  direction: Direction,
  count: bigint,
  filter: RecordFilter,
): LogRecord[] {
  const records: LogRecord[] = [];
  const all = log.records;
  if (direction === 'forwards') {
    if (from === 'end') return records;
    const start = from === 'start' ? 0n : from;
    for (let i = firstAtOrAfter(all, start); i < all.length && BigInt(records.length) < count; i++) {
      if (filter(all[i]!)) records.push(all[i]!);
    }
  } else {
    if (from === 'start') return records;
    const before = from === 'end' ? log.headPosition : from;
    for (let i = firstAtOrAfter(all, before) - 1; i >= 0 && BigInt(records.length) < count; i--) {
      if (filter(all[i]!)) records.push(all[i]!);
    }
  }
  return records;
}

/** Index of the first record whose position is at or after `position` (binary search). */
export function firstAtOrAfter(records: readonly LogRecord[], position: bigint): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (records[middle]!.position < position) low = middle + 1;
    else high = middle;
  }
  return low;
}
