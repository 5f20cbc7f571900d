/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * The double's transaction log, in memory. Every record gets a log position (commit position equals
 * prepare position, as for the server's implicitly committed writes) that grows by the record's size,
 * so positions are ordered and unique but not contiguous. Streams keep their event numbers; soft
 * deletes and stream metadata are events of the `$$<stream>` metastream, as on the server.
 */
import { randomUUID } from 'node:crypto';
import { checkCommit, type CommitDecision, ExpectedVersion, type StreamView } from './commit-check.js';
import {
  DELETED_STREAM,
  isMetastream,
  METADATA_EVENT_TYPE,
  metastreamOf,
  originalStreamOf,
  type Retention,
  retentionOf,
  withTruncateBefore,
} from './stream-metadata.js';

export interface LogRecord {
  /** Commit and prepare position: where the record starts in the log. */
  position: bigint;
  stream: string;
  /** Event number in its stream; DELETED_STREAM for a tombstone. */
  eventNumber: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** Milliseconds since the epoch. */
  created: number;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export type WriteOutcome =
  | { kind: 'written'; lastEventNumber: bigint; position: bigint }
  | { kind: 'wrong-expected-version'; current: bigint }
  | { kind: 'deleted' };

interface StreamState {
  events: LogRecord[];
  tombstone?: LogRecord;
}

const RECORD_OVERHEAD = 88;
const FIRST_POSITION = 4096n;

/** Bytes a record takes in the log (the server's prepare record is header, names, data and metadata). */
function recordSize(stream: string, event: ProposedEvent): bigint {
  return BigInt(
    RECORD_OVERHEAD +
      Buffer.byteLength(stream) +
      Buffer.byteLength(event.type) +
      event.data.length +
      event.metadata.length,
  );
}

export class InMemoryLog {
  readonly records: LogRecord[] = [];
  readonly #streams = new Map<string, StreamState>();
  readonly #committed = new Map<string, { stream: string; eventNumber: bigint }>();
  readonly #listeners = new Set<() => void>();
  #nextPosition = FIRST_POSITION;

  constructor(private readonly clock: () => number = Date.now) {
    // A fresh server has written a few records of its own before any client event.
    this.#write('$settings', ExpectedVersion.Any, [systemEvent('$settings', { $userStreamAcl: {} })]);
    this.#write('$scavenges', ExpectedVersion.Any, [systemEvent('$scavengeIndexInitialized', {})]);
  }

  /** Calls `listener` after every write, until the returned function is called. */
  onWrite(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Position after the last record: where the next record will go. */
  get headPosition(): bigint {
    return this.#nextPosition;
  }

  append(stream: string, expected: bigint, events: readonly ProposedEvent[]): WriteOutcome {
    const outcome = this.#write(stream, expected, events);
    if (outcome.kind === 'written') this.#notify();
    return outcome;
  }

  /**
   * Soft delete, as the server's storage writer does it: the metadata becomes `{"$tb": DeletedStream}`
   * (replacing any other setting), written straight to the metastream. A stream with neither events
   * nor metadata cannot be soft-deleted (wrong expected version).
   */
  softDelete(stream: string, expected: bigint): WriteOutcome {
    const decision = this.#check(stream, expected, [randomUUID()]);
    if (decision.kind !== 'ok') return this.#refusal(decision);
    if (this.lastEventNumber(stream) < 0n && this.lastEventNumber(metastreamOf(stream)) < 0n) {
      return { kind: 'wrong-expected-version', current: -1n };
    }
    const record = this.#writeMetadata(stream, Buffer.from(`{"$tb":${DELETED_STREAM}}`, 'utf8'));
    this.#notify();
    return { kind: 'written', lastEventNumber: record.eventNumber, position: record.position };
  }

  /** Hard delete: a `$streamDeleted` tombstone; the stream and its metastream refuse everything after. */
  tombstone(stream: string, expected: bigint): WriteOutcome {
    const decision = this.#check(stream, expected, [randomUUID()]);
    if (decision.kind !== 'ok') return this.#refusal(decision);
    const state = this.#state(stream);
    const record = this.#record(stream, DELETED_STREAM, systemEvent('$streamDeleted', undefined));
    state.tombstone = record;
    this.#notify();
    return { kind: 'written', lastEventNumber: DELETED_STREAM, position: record.position };
  }

  isTombstoned(stream: string): boolean {
    const original = isMetastream(stream) ? originalStreamOf(stream) : stream;
    return this.#streams.get(original)?.tombstone !== undefined;
  }

  /** Events of a stream in event-number order (tombstone excluded). */
  eventsOf(stream: string): readonly LogRecord[] {
    return this.#streams.get(stream)?.events ?? [];
  }

  lastEventNumber(stream: string): bigint {
    if (this.isTombstoned(stream)) return DELETED_STREAM;
    const events = this.eventsOf(stream);
    return events.length === 0 ? -1n : events[events.length - 1]!.eventNumber;
  }

  rawMetadata(stream: string): Uint8Array | undefined {
    const events = this.eventsOf(metastreamOf(stream));
    return events[events.length - 1]?.data;
  }

  /** The retention a stream read honours; metastreams keep only their last event, as on the server. */
  retention(stream: string): Retention {
    if (isMetastream(stream)) return { maxCount: 1 };
    return retentionOf(this.rawMetadata(stream));
  }

  isSoftDeleted(stream: string): boolean {
    return !isMetastream(stream) && this.retention(stream).truncateBefore === DELETED_STREAM;
  }

  now(): number {
    return this.clock();
  }

  #write(stream: string, expected: bigint, events: readonly ProposedEvent[]): WriteOutcome {
    const decision = this.#check(
      stream,
      expected,
      events.map((event) => event.id),
    );
    if (decision.kind === 'idempotent') {
      const last = this.eventsOf(stream).find((record) => record.eventNumber === decision.last);
      return { kind: 'written', lastEventNumber: decision.last, position: last?.position ?? -1n };
    }
    if (decision.kind !== 'ok') return this.#refusal(decision);
    const undeleteMetastreamOf =
      isMetastream(stream) && this.isSoftDeleted(originalStreamOf(stream))
        ? originalStreamOf(stream)
        : undefined;
    const first = decision.current < 0n ? 0n : decision.current + 1n;
    let last: LogRecord | undefined;
    events.forEach((event, index) => {
      last = this.#record(stream, first + BigInt(index), event);
      this.#state(stream).events.push(last);
      this.#committed.set(event.id, { stream, eventNumber: last.eventNumber });
    });
    // Writing to a soft-deleted stream (or to its metastream) brings it back, keeping the events
    // before the write hidden: `$tb` moves to the first new event.
    if (decision.softDeleted) this.#undelete(stream, first);
    if (undeleteMetastreamOf !== undefined) {
      this.#undelete(undeleteMetastreamOf, this.lastEventNumber(undeleteMetastreamOf) + 1n);
    }
    return { kind: 'written', lastEventNumber: last!.eventNumber, position: last!.position };
  }

  /** The server's SoftUndeleteStream: the last metadata again, with `$tb` set to `recreateFrom`. */
  #undelete(stream: string, recreateFrom: bigint): void {
    this.#writeMetadata(stream, withTruncateBefore(this.rawMetadata(stream), recreateFrom));
  }

  /** A `$metadata` event written straight to the metastream, as the server's own writes are. */
  #writeMetadata(stream: string, data: Uint8Array): LogRecord {
    const metastream = metastreamOf(stream);
    const event: ProposedEvent = {
      id: randomUUID(),
      type: METADATA_EVENT_TYPE,
      contentType: 'application/json',
      data,
      metadata: new Uint8Array(),
    };
    const record = this.#record(metastream, this.lastEventNumber(metastream) + 1n, event);
    this.#state(metastream).events.push(record);
    this.#committed.set(event.id, { stream: metastream, eventNumber: record.eventNumber });
    return record;
  }

  #check(stream: string, expected: bigint, ids: readonly string[]): CommitDecision {
    const events = this.eventsOf(stream);
    const view: StreamView = {
      stream,
      lastEventNumber: this.lastEventNumber(stream),
      isTombstoned: this.isTombstoned(stream),
      isSoftDeleted: this.isSoftDeleted(stream),
      hasMetadata: this.eventsOf(metastreamOf(stream)).length > 0,
      idAt: (eventNumber) => events[Number(eventNumber)]?.id,
      committed: (id) => this.#committed.get(id),
    };
    return checkCommit(view, expected, ids);
  }

  #refusal(decision: CommitDecision): WriteOutcome {
    if (decision.kind === 'deleted') return { kind: 'deleted' };
    return { kind: 'wrong-expected-version', current: decision.current };
  }

  #record(stream: string, eventNumber: bigint, event: ProposedEvent): LogRecord {
    const record: LogRecord = {
      position: this.#nextPosition,
      stream,
      eventNumber,
      id: event.id,
      type: event.type,
      contentType: event.contentType,
      data: event.data,
      metadata: event.metadata,
      created: this.clock(),
    };
    this.#nextPosition += recordSize(stream, event);
    this.records.push(record);
    return record;
  }

  #state(stream: string): StreamState {
    let state = this.#streams.get(stream);
    if (!state) {
      state = { events: [] };
      this.#streams.set(stream, state);
    }
    return state;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function systemEvent(type: string, data: unknown): ProposedEvent {
  return {
    id: randomUUID(),
    type,
    contentType: data === undefined ? 'application/octet-stream' : 'application/json',
    data: data === undefined ? new Uint8Array() : Buffer.from(JSON.stringify(data)),
    metadata: new Uint8Array(),
  };
}
