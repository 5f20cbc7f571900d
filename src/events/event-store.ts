import type {
  CanonicalPage,
  CanonicalReadOptions,
  CanonicalSubscribeOptions,
  CanonicalSubscription,
} from './canonical-reads.js';
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
} from './types.js';

/** Name of the global log in reads and subscriptions. */
export const ALL_STREAM = '$all';

/**
 * The event store port. Every adapter (embedded SQLite, KurrentDB) passes the contract suite in
 * test/contract/, and every failure is one of the typed errors of ./errors.ts.
 */
export interface EventStore {
  /** Appends atomically: all events or none. Re-appending the same event ids returns the first result. */
  append(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** A missing or soft-deleted stream reads as empty; a tombstoned one throws StreamDeletedError. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The global log. Retention metadata and deletes hide events from stream reads only, as in KurrentDB. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToStream(stream: string, options?: SubscribeToStreamOptions): Subscription;
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  getStreamMetadata(stream: string): Promise<StreamMetadata>;
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void>;
  /** Soft delete: the stream reads as empty and may be written again; revisions continue. */
  deleteStream(stream: string, options?: DeleteOptions): Promise<void>;
  /** Hard delete: the stream is gone for good and further appends are refused. */
  tombstoneStream(stream: string, options?: DeleteOptions): Promise<void>;
  /** Flushes pending appends and releases the store. Further calls fail with StoreUnavailableError. */
  close(): Promise<void>;
  /**
   * Optional: `$all` with one author's events as their canonical bytes, composed from the stored text
   * without parsing it (canonical-reads.ts). Call it through `readAllCanonical(store, …)`, which falls
   * back to `readAll` for stores without it.
   */
  readAllCanonical?(options: CanonicalReadOptions): Promise<CanonicalPage>;
  /**
   * Optional: the catch-up subscription of `readAllCanonical` pages (see `subscribeToAllCanonical`). A
   * store may compose the live ones from what it has just written instead of reading them back.
   */
  subscribeToAllCanonical?(options: CanonicalSubscribeOptions): CanonicalSubscription;
}
