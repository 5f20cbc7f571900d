import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  type Position,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
} from '@kurrent/kurrentdb-client';
import { StoreUnavailableError, StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import type { EventStore } from '../event-store.js';
import { assertMaxCount, assertRevision, assertStreamName } from '../names.js';
import { DEFAULT_MAX_EVENT_SIZE, prepareEvents } from '../prepare-events.js';
import { validateStreamMetadata } from '../stream-metadata.js';
import type {
  AppendOptions,
  AppendResult,
  DeleteOptions,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  Subscription,
} from '../types.js';
import { planAllFilter } from './all-filter.js';
import { clientConnectionString, deadlineFromConnectionString } from './connection-string.js';
import { DEFAULT_DEADLINE_MS } from './deadline.js';
import {
  isPermanent,
  isStreamDeleted,
  isStreamNotFound,
  isWrongExpectedVersion,
  toStoreError,
  wrongExpectedRevision,
} from './error-mapping.js';
import {
  fromKurrentMetadata,
  METADATA_EVENT_TYPE,
  metadataEventData,
  metastreamOf,
  toKurrentMetadata,
} from './metadata-mapping.js';
import { type AllPageFetch, readAllPaged } from './read-all.js';
import {
  isSystemEvent,
  positionOf,
  TOMBSTONE_REVISION,
  toEventData,
  toRecordedEvent,
} from './recorded-event.js';
import { resilientSubscription, type SubscriptionSource } from './resilient-subscription.js';
import { retryingCall } from './retrying-call.js';

export interface KurrentDbEventStoreOptions {
  /** kurrentdb://…, kurrentdb+discover://… or the older esdb://… forms. */
  connectionString: string;
  /** Written as `metadata.author` of events whose writer names none. */
  nodeId: string;
  maxEventSize?: number;
  /**
   * How long any one call to the server may take before it fails as STORE_UNAVAILABLE (ms). Defaults
   * to the connection string's `defaultDeadline`, else 10 s.
   */
  deadlineMs?: number;
}

/**
 * Marks a returned promise as observed: its caller still gets the rejection, but the runtime does not
 * also report it as unhandled while the caller awaits an earlier call first (network calls settle in
 * their own time, unlike the embedded store's).
 */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

type StreamState = typeof ANY | typeof NO_STREAM | typeof STREAM_EXISTS | bigint;

function streamStateOf(expected: ExpectedRevision): StreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected);
}

/**
 * Opens the event store on a KurrentDB (or EventStoreDB) server through @kurrent/kurrentdb-client:
 * the same port, and the same contract, as the embedded store.
 *
 * - Revisions are KurrentDB event numbers; the global position is the commit position.
 * - Appends are idempotent by event id (the server deduplicates); a soft-deleted stream reads as empty
 *   and continues its revisions; a tombstoned one is refused for good.
 * - `$all` reads and subscriptions are filtered on the server; `$`-prefixed streams and event types
 *   (metadata, tombstones, links, system streams) never reach bzzz.
 * - Every call has a deadline and fails with StoreUnavailableError when the server is unreachable;
 *   subscriptions reconnect and resume after the last event delivered.
 */
export function openKurrentDbEventStore(options: KurrentDbEventStoreOptions): EventStore {
  return new KurrentDbEventStore(options);
}

class KurrentDbEventStore implements EventStore {
  readonly #client: KurrentDBClient;
  readonly #options: KurrentDbEventStoreOptions;
  readonly #deadlineMs: number;
  readonly #subscriptions = new Set<Subscription>();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Subscriptions from `end` still looking up where the end is; appends made after wait for them. */
  readonly #endLookups = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: KurrentDbEventStoreOptions) {
    this.#options = options;
    this.#deadlineMs =
      options.deadlineMs ?? deadlineFromConnectionString(options.connectionString) ?? DEFAULT_DEADLINE_MS;
    this.#client = KurrentDBClient.connectionString(
      clientConnectionString(options.connectionString, this.#deadlineMs),
    );
  }

  append(stream: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return observed(this.#append(stream, events, options));
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return observed(this.#readStream(stream, options));
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return observed(this.#readAll(options));
  }

  getStreamMetadata(stream: string): Promise<StreamMetadata> {
    return observed(this.#getStreamMetadata(stream));
  }

  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return observed(this.#setStreamMetadata(stream, metadata));
  }

  deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return observed(this.#delete(stream, options, 'deleteStream'));
  }

  tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return observed(this.#delete(stream, options, 'tombstoneStream'));
  }

  async #append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.#assertOpen();
    assertStreamName(stream);
    const expected = options.expectedRevision ?? 'any';
    if (typeof expected === 'number') assertRevision(expected, 'expectedRevision');
    const prepared = prepareEvents(events, {
      author: this.#options.nodeId,
      now: Date.now,
      maxEventSize: this.#options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE,
    });
    if (this.#endLookups.size > 0) await Promise.allSettled([...this.#endLookups]);
    return this.#track(async () => {
      let result;
      try {
        result = await this.#call('append', (deadline) =>
          this.#client.appendToStream(stream, prepared.map(toEventData), {
            streamState: streamStateOf(expected),
            deadline,
          }),
        );
      } catch (error) {
        throw await this.#appendFailure(stream, expected, error);
      }
      const revision = result.nextExpectedRevision;
      const position = result.position?.commit ?? (await this.#positionOfRevision(stream, revision));
      return { nextExpectedRevision: Number(revision), position };
    });
  }

  async #appendFailure(stream: string, expected: ExpectedRevision, error: unknown): Promise<Error> {
    if (isWrongExpectedVersion(error)) return wrongExpectedRevision(stream, expected, error);
    // KurrentDB refuses stream_exists on a soft-deleted stream as "deleted"; for the port only a
    // tombstoned stream is deleted, a soft-deleted one is simply absent.
    if (isStreamDeleted(error) && expected === 'stream_exists' && !(await this.#isTombstoned(stream))) {
      return new WrongExpectedRevisionError(stream, expected, 'no_stream');
    }
    return toStoreError(error, stream);
  }

  async #readStream(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertStreamName(stream);
    assertMaxCount(options.maxCount);
    const from = options.fromRevision;
    if (typeof from === 'number') assertRevision(from, 'fromRevision');
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    return this.#track(async () => {
      if (!backwards && from === 'end') {
        // Nothing lies after the end; the read only checks the stream is not tombstoned. (The client
        // would turn a forward read from the end into a backward one.)
        await this.#readStreamRaw(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
        return [];
      }
      const events = await this.#readStreamRaw(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: typeof from === 'number' ? BigInt(from) : backwards ? END : START,
        maxCount: options.maxCount,
      });
      return events.filter((resolved) => !isSystemEvent(resolved.event)).map(toRecordedEvent);
    });
  }

  /** A stream read; a missing (or soft-deleted) stream is empty, a tombstoned one throws. */
  async #readStreamRaw(
    stream: string,
    options: {
      direction: typeof FORWARDS | typeof BACKWARDS;
      fromRevision: bigint | 'start' | 'end';
      maxCount?: number | undefined;
    },
  ): Promise<ResolvedEvent[]> {
    try {
      return await this.#call('readStream', async (deadline) => {
        const events: ResolvedEvent[] = [];
        for await (const resolved of this.#client.readStream(stream, {
          direction: options.direction,
          fromRevision: options.fromRevision,
          ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
          deadline,
        })) {
          events.push(resolved);
        }
        return events;
      });
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      if (isStreamDeleted(error) && stream.startsWith('$$')) throw toStoreError(error, stream.slice(2));
      throw toStoreError(error, stream);
    }
  }

  async #readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertMaxCount(options.maxCount);
    return this.#track(() => readAllPaged(this.#fetchAll, options, planAllFilter(options.filter)));
  }

  readonly #fetchAll: AllPageFetch = async (from, direction, count, filter) => {
    try {
      return await this.#call('readAll', async (deadline) => {
        const events: ResolvedEvent[] = [];
        for await (const resolved of this.#client.readAll({
          fromPosition: from,
          direction: direction === 'backwards' ? BACKWARDS : FORWARDS,
          maxCount: count,
          ...(filter ? { filter } : {}),
          deadline,
        })) {
          events.push(resolved);
        }
        return events;
      });
    } catch (error) {
      throw toStoreError(error);
    }
  };

  subscribeToStream(stream: string, options: SubscribeToStreamOptions = {}): Subscription {
    this.#assertOpen();
    assertStreamName(stream);
    const from = options.from ?? 'start';
    if (typeof from === 'object') assertRevision(from.after, 'from.after');
    const start =
      from === 'end'
        ? this.#lookUpEnd(async () => {
            const [last] = await this.#readStreamRaw(stream, {
              direction: BACKWARDS,
              fromRevision: END,
              maxCount: 1,
            });
            return last?.event?.revision;
          })
        : async () => (from === 'start' ? undefined : BigInt(from.after));
    return this.#subscribe<bigint>({
      start,
      open: (cursor) => this.#client.subscribeToStream(stream, { fromRevision: cursor ?? START }),
      cursorOf: (resolved) => {
        const revision = resolved.event?.revision;
        return revision === undefined || revision === TOMBSTONE_REVISION ? undefined : revision;
      },
      isAfter: (next, cursor) => next > cursor,
      accept: (resolved) => (isSystemEvent(resolved.event) ? undefined : toRecordedEvent(resolved)),
      failure: (error) => this.#subscriptionFailure(error, stream),
    });
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.#assertOpen();
    const from = options.from ?? 'start';
    const plan = planAllFilter(options.filter);
    const start =
      from === 'end'
        ? this.#lookUpEnd(async () => {
            const [last] = await this.#fetchAll('end', 'backwards', 1, undefined);
            return last ? positionOf(last) : undefined;
          })
        : async (): Promise<Position | undefined> =>
            from === 'start' ? undefined : { commit: from.after, prepare: from.after };
    return this.#subscribe<Position>({
      start,
      open: (cursor) => this.#client.subscribeToAll({ fromPosition: cursor ?? START, filter: plan.server }),
      cursorOf: (resolved) => positionOf(resolved),
      isAfter: (next, cursor) =>
        next.commit > cursor.commit || (next.commit === cursor.commit && next.prepare > cursor.prepare),
      accept: (resolved) => (plan.accepts(resolved) ? toRecordedEvent(resolved) : undefined),
      failure: (error) => this.#subscriptionFailure(error),
    });
  }

  #subscribe<Cursor>(source: SubscriptionSource<Cursor>): Subscription {
    const subscription: Subscription = resilientSubscription(source, () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Starts looking up where "the end" is now, so a subscription from `end` misses nothing appended
   * after the call: this store's later appends wait for the lookup. A failed lookup is retried by
   * the subscription.
   */
  #lookUpEnd<Cursor>(lookUp: () => Promise<Cursor | undefined>): () => Promise<Cursor | undefined> {
    let first: Promise<Cursor | undefined> | undefined = lookUp();
    const settled = first.then(
      () => undefined,
      () => undefined,
    );
    this.#endLookups.add(settled);
    void settled.then(() => this.#endLookups.delete(settled));
    return () => {
      const attempt = first ?? lookUp();
      first = undefined;
      return attempt;
    };
  }

  #subscriptionFailure(error: unknown, stream?: string): { error: Error; retry: boolean } {
    if (this.#closed) return { error: new StoreUnavailableError('the store is closed'), retry: false };
    return { error: toStoreError(error, stream), retry: !isPermanent(error) };
  }

  async #getStreamMetadata(stream: string): Promise<StreamMetadata> {
    this.#assertOpen();
    assertStreamName(stream);
    return this.#track(async () => {
      const [last] = await this.#readStreamRaw(metastreamOf(stream), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      const event = last?.event;
      return event && event.type === METADATA_EVENT_TYPE ? fromKurrentMetadata(event.data) : {};
    });
  }

  async #setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    this.#assertOpen();
    assertStreamName(stream);
    const json = toKurrentMetadata(validateStreamMetadata(metadata));
    // One event for every attempt: a repeated write is deduplicated by its id.
    const event = metadataEventData(json);
    await this.#track(async () => {
      try {
        await this.#call('setStreamMetadata', (deadline) =>
          this.#client.appendToStream(metastreamOf(stream), event, {
            streamState: ANY,
            deadline,
          }),
        );
      } catch (error) {
        throw toStoreError(error, stream);
      }
    });
  }

  async #delete(
    stream: string,
    options: DeleteOptions,
    operation: 'deleteStream' | 'tombstoneStream',
  ): Promise<void> {
    this.#assertOpen();
    assertStreamName(stream);
    const expected = options.expectedRevision ?? 'any';
    if (typeof expected === 'number') assertRevision(expected, 'expectedRevision');
    await this.#track(async () => {
      // The client has no stream_exists for deletes: check the stream has a last event, then delete
      // at exactly that revision (so a concurrent append still makes the delete fail).
      let revision: typeof ANY | typeof NO_STREAM | bigint;
      if (expected === 'stream_exists') {
        const [last] = await this.#readStreamRaw(stream, {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
        });
        if (last?.event === undefined) throw new WrongExpectedRevisionError(stream, expected, 'no_stream');
        revision = last.event.revision;
      } else {
        revision = expected === 'any' ? ANY : expected === 'no_stream' ? NO_STREAM : BigInt(expected);
      }
      try {
        await this.#call(operation, async (deadline, attempt) => {
          try {
            await this.#client[operation](stream, { expectedRevision: revision, deadline });
          } catch (error) {
            // A tombstone repeated after a lost answer finds its own work done.
            if (attempt > 0 && operation === 'tombstoneStream' && isStreamDeleted(error)) return;
            throw error;
          }
        });
      } catch (error) {
        if (isWrongExpectedVersion(error)) {
          const conflict = wrongExpectedRevision(stream, expected, error);
          // KurrentDB will not soft-delete a stream that has neither events nor metadata; for the
          // port there is simply nothing to delete.
          const nothingToDelete =
            operation === 'deleteStream' &&
            conflict.actual === 'no_stream' &&
            (expected === 'any' || expected === 'no_stream');
          if (nothingToDelete) return;
          throw conflict;
        }
        throw toStoreError(error, stream);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
    await Promise.allSettled([...this.#inFlight]);
    await this.#client.dispose().catch(() => undefined);
  }

  /** The position of the event at `revision`, for answers that come without one (idempotent retries). */
  async #positionOfRevision(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.#readStreamRaw(stream, {
      direction: FORWARDS,
      fromRevision: revision,
      maxCount: 1,
    });
    const position = event && event.event?.revision === revision ? positionOf(event) : undefined;
    if (!position) throw new StoreUnavailableError(`KurrentDB gave no position for ${stream}@${revision}`);
    return position.commit;
  }

  async #isTombstoned(stream: string): Promise<boolean> {
    try {
      await this.#readStreamRaw(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      return false;
    } catch (error) {
      return error instanceof StreamDeletedError;
    }
  }

  /**
   * One call to the server, tried again while it fails for want of a server (unreachable, connection
   * dropped, leader changed) until the store's deadline, then failed as StoreUnavailableError. Reads
   * are safe to repeat; so are appends, because their events keep their ids and KurrentDB answers a
   * repeated append with the first result instead of writing again.
   */
  async #call<T>(what: string, work: (deadlineMs: number, attempt: number) => Promise<T>): Promise<T> {
    return retryingCall(what, this.#deadlineMs, () => this.#closed, work);
  }

  /** Runs an operation that `close` waits for. */
  #track<T>(operation: () => Promise<T>): Promise<T> {
    const promise = operation();
    this.#inFlight.add(promise);
    void promise.then(
      () => this.#inFlight.delete(promise),
      () => this.#inFlight.delete(promise),
    );
    return promise;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
  }
}
