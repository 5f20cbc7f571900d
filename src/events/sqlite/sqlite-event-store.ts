import type Database from 'better-sqlite3';
import {
  type CanonicalPage,
  type CanonicalReadOptions,
  type CanonicalSubscribeOptions,
  type CanonicalSubscription,
  catchUpCanonical,
} from '../canonical-reads.js';
import { catchUpSubscription } from '../catch-up-subscription.js';
import { ChangeSignal } from '../change-signal.js';
import { StoreUnavailableError, StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import type { EventStore } from '../event-store.js';
import { assertMaxCount, assertRevision, assertStreamName } from '../names.js';
import { DEFAULT_MAX_EVENT_SIZE, prepareEvents } from '../prepare-events.js';
import { validateStreamMetadata } from '../stream-metadata.js';
import type {
  AppendOptions,
  AppendResult,
  DeleteOptions,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  Subscription,
} from '../types.js';
import { actualRevision, applyAppend, expectationHolds } from './apply-append.js';
import { CanonicalQueries } from './canonical-query.js';
import { RecentCommits } from './recent-commits.js';
import { FrameCache, recentCanonicalPage } from './recent-canonical-page.js';
import { GroupCommit } from './group-commit.js';
import { ReadAllQueries } from './read-all-query.js';
import { parseStreamMetadata, visibleWindow } from './retention.js';
import { StreamState, toRecordedEvent } from './rows.js';
import { openStoreDatabase, type Synchronous } from './schema.js';
import { toStoreError } from './sqlite-errors.js';
import { prepareStatements, type Statements } from './statements.js';
import { LiveHead } from './live-head.js';
import { StreamCache } from './stream-cache.js';
import { registerStoreFile } from './store-file.js';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for a private throw-away store. */
  path: string;
  /** Written as `metadata.author` of events whose writer names none. */
  nodeId: string;
  /** SQLite durability; FULL (the default) fsyncs every commit before acknowledging it. */
  synchronous?: Synchronous;
  maxEventSize?: number;
  /** Milliseconds since the epoch; injectable so tests can move time for `maxAge`. */
  clock?: () => number;
  /** How often to look for commits by other processes while a subscription waits (ms). */
  crossProcessPollMs?: number;
  /** How long a write waits for another process's write lock before failing as unavailable (ms). */
  busyTimeoutMs?: number;
}

const NO_LIMIT = -1;
/** Entries per page of a canonical subscription. */
const CANONICAL_PAGE = 1000;

/** Opens the embedded event store (the default adapter). */
export function openSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  const store = new SqliteEventStore(options);
  registerStoreFile(store, options.path);
  return store;
}

class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #readAll: ReadAllQueries;
  readonly #canonical: CanonicalQueries;
  readonly #recent = new RecentCommits();
  readonly #groupCommit: GroupCommit;
  readonly #streams: StreamCache;
  readonly #signal = new ChangeSignal();
  readonly #clock: () => number;
  readonly #options: SqliteEventStoreOptions;
  readonly #poller: NodeJS.Timeout;
  #dataVersion: number;
  readonly #liveHead = new LiveHead(() => this.#headPosition());
  #closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#db = openStoreDatabase(options.path, options.synchronous ?? 'FULL', options.busyTimeoutMs);
    this.#statements = prepareStatements(this.#db);
    this.#readAll = new ReadAllQueries(this.#db);
    this.#canonical = new CanonicalQueries(this.#db);
    const streams = new StreamCache(this.#statements, () => this.#readDataVersion());
    this.#streams = streams;
    /** The last position the group being committed wrote. */
    let written: bigint | undefined;
    this.#groupCommit = new GroupCommit(this.#db, {
      begin: () => streams.begin(),
      apply: (job) => {
        const before = streams.get(job.stream).last_revision;
        const recordedAt = this.#clock();
        const result = applyAppend(this.#statements, streams, job, recordedAt);
        // Written, not replayed: kept for canonical reads of the head of the log.
        if (result.nextExpectedRevision > before) {
          this.#recent.stage(job, result, recordedAt);
          written = result.position;
        }
        return result;
      },
      afterCommit: () => {
        if (written !== undefined) this.#liveHead.committed(written);
        written = undefined;
        this.#recent.commit();
        this.#signal.notify();
      },
      rolledBack: () => {
        written = undefined;
        this.#recent.discard();
        streams.clear();
      },
    });
    this.#dataVersion = this.#readDataVersion();
    this.#poller = setInterval(() => this.#pollOtherWriters(), options.crossProcessPollMs ?? 50);
    this.#poller.unref();
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    this.#assertOpen();
    assertStreamName(stream);
    const expected = options.expectedRevision ?? 'any';
    if (typeof expected === 'number') assertRevision(expected, 'expectedRevision');
    const prepared = prepareEvents(events, {
      author: this.#options.nodeId,
      now: this.#clock,
      maxEventSize: this.#options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE,
    });
    return this.#groupCommit.submit({ stream, events: prepared, expected });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertStreamName(stream);
    assertMaxCount(options.maxCount);
    return this.#guard(() => this.#readStreamNow(stream, options));
  }

  #readStreamNow(stream: string, options: ReadStreamOptions): RecordedEvent[] {
    const row = this.#statements.stream.get({ stream })!;
    if (row.state === StreamState.Tombstoned) throw new StreamDeletedError(stream);
    const window = visibleWindow(row, this.#clock());
    const limit = options.maxCount ?? NO_LIMIT;
    const from = options.fromRevision;
    if (typeof from === 'number') assertRevision(from, 'fromRevision');
    if (options.direction === 'backwards') {
      const start = typeof from === 'number' ? from : Number.MAX_SAFE_INTEGER;
      const rows = this.#statements.readStreamBackwards.all(
        stream,
        start,
        window.minRevision,
        window.minRecordedAt,
        limit,
      );
      return rows.map(toRecordedEvent);
    }
    if (from === 'end') return [];
    const start = Math.max(typeof from === 'number' ? from : 0, window.minRevision);
    return this.#statements.readStreamForwards
      .all(stream, start, window.minRecordedAt, limit)
      .map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertMaxCount(options.maxCount);
    const direction = options.direction ?? 'forwards';
    const from = options.fromPosition;
    let start: number;
    if (typeof from === 'bigint') start = Number(from);
    else if (direction === 'forwards') start = from === 'end' ? Number.MAX_SAFE_INTEGER : 0;
    else start = from === 'start' ? -1 : Number.MAX_SAFE_INTEGER;
    return this.#guard(() =>
      this.#readAll.run(direction, start, options.maxCount ?? NO_LIMIT, options.filter).map(toRecordedEvent),
    );
  }

  async readAllCanonical(options: CanonicalReadOptions): Promise<CanonicalPage> {
    this.#assertOpen();
    assertMaxCount(options.maxCount);
    return this.#guard(() => this.#canonical.run(options));
  }

  /**
   * Pages of `readAllCanonical`, past then live. Live pages hold what this connection has just
   * committed and are composed from what it wrote (recent-commits.ts) rather than read back; a
   * one-shot read (verification) always reads the file.
   */
  subscribeToAllCanonical(options: CanonicalSubscribeOptions): CanonicalSubscription {
    this.#assertOpen();
    const from = options.from ?? 'start';
    const start = from === 'start' ? undefined : from === 'end' ? this.#headPosition() : from.after;
    const maxCount = options.maxCount ?? CANONICAL_PAGE;
    const reader = this.#recent.follow(start);
    const frames = new FrameCache(options.excludeStreamPrefixes ?? []);
    return catchUpCanonical(
      async (after) => {
        this.#assertOpen();
        const read = { ...options, fromPosition: after === undefined ? 0n : after + 1n, maxCount };
        return this.#guard(() => {
          const head = this.#liveHead.get();
          const page =
            recentCanonicalPage(this.#recent, read, head === undefined ? undefined : Number(head), frames) ??
            this.#canonical.run(read);
          if (page.last !== undefined) this.#recent.served(reader, Number(page.last));
          return page;
        });
      },
      this.#signal,
      start,
      maxCount,
      () => this.#recent.release(reader),
    );
  }

  subscribeToStream(stream: string, options: SubscribeToStreamOptions = {}): Subscription {
    this.#assertOpen();
    assertStreamName(stream);
    const from = options.from ?? 'start';
    const start = from === 'start' ? undefined : from === 'end' ? this.#lastRevision(stream) : from.after;
    return catchUpSubscription<number>(
      {
        signal: this.#signal,
        cursorOf: (event) => event.revision,
        readAfter: (after, limit) =>
          this.readStream(stream, { fromRevision: after === undefined ? 0 : after + 1, maxCount: limit }),
      },
      start,
    );
  }

  /**
   * Past events are read from the file; live ones, what this connection has just committed, are
   * served from memory (recent-commits.ts), parsed once for every subscription and frozen.
   */
  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.#assertOpen();
    const from = options.from ?? 'start';
    const start = from === 'start' ? undefined : from === 'end' ? this.#headPosition() : from.after;
    const filter = options.filter;
    const reader = this.#recent.follow(start);
    return catchUpSubscription<bigint>(
      {
        signal: this.#signal,
        cursorOf: (event) => event.position,
        readAfter: async (after, limit) => {
          this.#assertOpen();
          // Positions are row ids: the first is 1.
          const position = after === undefined ? 1 : Number(after) + 1;
          return this.#guard(() => {
            const head = this.#liveHead.get();
            const headAt = head === undefined ? undefined : Number(head);
            const events =
              this.#recent.events(position, limit, headAt, filter, options.skip) ??
              this.#readAll.run('forwards', position, limit, filter).map(toRecordedEvent);
            // A short page read everything up to the head.
            const last = events.length === 0 ? 0 : Number(events[events.length - 1]!.position);
            this.#recent.served(reader, events.length < limit ? Math.max(last, headAt ?? 0) : last);
            return events;
          });
        },
        ...(filter ? { head: () => this.#liveHead.get() } : {}),
        onEnd: () => this.#recent.release(reader),
      },
      start,
    );
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    this.#assertOpen();
    assertStreamName(stream);
    return this.#guard(() => parseStreamMetadata(this.#statements.stream.get({ stream })!));
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    this.#assertOpen();
    assertStreamName(stream);
    const valid = validateStreamMetadata(metadata);
    this.#writeNow(() => {
      if (this.#statements.stream.get({ stream })!.state === StreamState.Tombstoned)
        throw new StreamDeletedError(stream);
      this.#statements.upsertStreamMetadata.run(stream, JSON.stringify(valid));
    });
  }

  async deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    this.#delete(stream, options, StreamState.SoftDeleted);
  }

  async tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    this.#delete(stream, options, StreamState.Tombstoned);
  }

  #delete(stream: string, options: DeleteOptions, state: number): void {
    this.#assertOpen();
    assertStreamName(stream);
    const expected = options.expectedRevision ?? 'any';
    this.#writeNow(() => {
      const row = this.#statements.stream.get({ stream })!;
      if (row.state === StreamState.Tombstoned) throw new StreamDeletedError(stream);
      const actual = actualRevision(row);
      if (!expectationHolds(expected, actual)) throw new WrongExpectedRevisionError(stream, expected, actual);
      // Soft-deleting a stream that never existed changes nothing; tombstoning it bars it for good.
      if (!row.registered && row.last_revision < 0 && state === StreamState.SoftDeleted) return;
      this.#statements.markDeleted.run(stream, state, row.last_revision + 1);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#groupCommit.flush();
    this.#closed = true;
    clearInterval(this.#poller);
    this.#signal.notify();
    this.#db.close();
  }

  /** Runs a write in its own transaction, after the appends already queued (call order is kept). */
  #writeNow(write: () => void): void {
    this.#groupCommit.flush();
    this.#streams.clear();
    this.#liveHead.forget();
    try {
      this.#guard(() => this.#db.transaction(write).immediate());
    } finally {
      this.#liveHead.forget();
    }
    this.#signal.notify();
  }

  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  #lastRevision(stream: string): number | undefined {
    const revision = actualRevision(this.#statements.stream.get({ stream })!);
    return revision === 'no_stream' ? undefined : revision;
  }

  #headPosition(): bigint | undefined {
    const head = this.#statements.headPosition.get()?.position;
    return head === null || head === undefined ? undefined : BigInt(head);
  }

  #readDataVersion(): number {
    return this.#statements.dataVersion.get()!;
  }

  #pollOtherWriters(): void {
    if (this.#closed || this.#signal.waiting === 0) return;
    const version = this.#readDataVersion();
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#liveHead.forget();
      this.#signal.notify();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
  }
}
