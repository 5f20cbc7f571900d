import type { JsonObject, JsonValue } from './json.js';

/** What the writer of an append says about the stream's current revision. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** What a store knows of a stream's current revision when it reports a conflict. */
export type ActualRevision = 'no_stream' | number;

/**
 * The envelope metadata every recorded event carries. The store fills what the writer leaves out:
 * correlation and causation default to the event's own id, author to the store's node id, occurredAt to
 * the append time and schemaVersion to 1. Any further keys are kept as given.
 */
export interface EventMetadata extends JsonObject {
  correlationId: string;
  causationId: string;
  author: string;
  occurredAt: string;
  schemaVersion: number;
}

/** An event to append. `id` (a UUID) makes appends idempotent; the store makes one when it is absent. */
export interface NewEvent<Type extends string = string, Data extends JsonValue = JsonValue> {
  id?: string;
  type: Type;
  data: Data;
  metadata?: Partial<EventMetadata> & JsonObject;
}

/** An event as the store recorded it. */
export interface RecordedEvent<Type extends string = string, Data extends JsonValue = JsonValue> {
  id: string;
  stream: string;
  /** 0 for the first event of a stream, contiguous. */
  revision: number;
  /** Global position in `$all`: ordered, unique, not necessarily contiguous. */
  position: bigint;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** ISO-8601 UTC time at which the store recorded the event. */
  recordedAt: string;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event written: the expected revision for the next append. */
  nextExpectedRevision: number;
  /** Global position of the last event written. */
  position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: Direction;
  /** Inclusive start: a revision, or 'start' / 'end'. Defaults to the first event in the direction. */
  fromRevision?: number | 'start' | 'end';
  maxCount?: number;
}

/** Which events of `$all` a reader wants: any stream-name prefix and any event type (OR within, AND across). */
export interface EventFilter {
  streamPrefixes?: readonly string[];
  eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  direction?: Direction;
  /** Inclusive start: a position, or 'start' / 'end'. */
  fromPosition?: bigint | 'start' | 'end';
  maxCount?: number;
  filter?: EventFilter;
}

/** Where a catch-up subscription begins: everything, only new events, or after a position already seen. */
export type SubscriptionStart<T> = 'start' | 'end' | { after: T };

export interface SubscribeToStreamOptions {
  from?: SubscriptionStart<number>;
}

export interface SubscribeToAllOptions {
  from?: SubscriptionStart<bigint>;
  filter?: EventFilter;
  /**
   * A hint: events the consumer has already handled (its own writes, say). A store may leave them out,
   * except the last event of each page, which is always given so the consumer knows how far it has
   * read; a store may also ignore the hint. The consumer must still expect any of them.
   */
  skip?: (stream: string, revision: number) => boolean;
}

/**
 * A catch-up subscription: past events in order, then live ones, no gaps and no duplicates.
 * Resume after a restart with `{ after: lastSeen }`.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * Optional: the same events a page at a time (each page non-empty, in order), for consumers that do
   * little per event and should not pay one promise per event. Iterate either the events or the pages
   * of a subscription, once.
   */
  pages?(): AsyncIterable<readonly RecordedEvent[]>;
}

/** Retention settings a stream's reads honour. */
export interface StreamMetadata {
  /** Keep only the last `maxCount` events visible. */
  maxCount?: number;
  /** Hide events recorded more than `maxAge` seconds ago. */
  maxAge?: number;
  /** Hide events with a revision below this one. */
  truncateBefore?: number;
  /** Free-form settings of the stream's owner. */
  custom?: JsonObject;
}

export interface DeleteOptions {
  expectedRevision?: ExpectedRevision;
}
