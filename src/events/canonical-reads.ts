import { canonicalEventBytes } from './canonical-event.js';
import type { ChangeSignal } from './change-signal.js';
import type { EventStore } from './event-store.js';
import { LogFollower } from './log-follower.js';
import { subscriptionBatches } from './subscription-batches.js';
import type { RecordedEvent, SubscriptionStart } from './types.js';

/**
 * Canonical reads: `$all` for consumers that hash events rather than read them (the audit trail).
 * The events of one author come as their canonical bytes (canonical-event.ts), packed in one buffer,
 * and a store that keeps canonical JSON text (the embedded store) composes those bytes from the stored
 * text without parsing and re-serialising it. Everything else in the log comes parsed, as `readAll`
 * gives it. Use them through `readAllCanonical` / `subscribeToAllCanonical` below: they fall back to
 * `readAll` / `subscribeToAll` for stores without the optional port methods (KurrentDB).
 */

/** Which events of `$all` a canonical read gives as canonical bytes. */
export interface CanonicalSelection {
  /** Events whose `metadata.author` is this… */
  author: string;
  /** …except those of streams whose name starts with one of these. */
  excludeStreamPrefixes?: readonly string[];
}

export interface CanonicalPageOptions extends CanonicalSelection {
  /** Also give each composed event's id, stream and revision (a hash alone needs none of them). */
  withIdentity?: boolean;
}

export interface CanonicalReadOptions extends CanonicalPageOptions {
  /** Inclusive start. */
  fromPosition: bigint;
  /** Most entries of `$all` (selected or not) in the page. */
  maxCount: number;
}

export interface CanonicalSubscribeOptions extends CanonicalPageOptions {
  from?: SubscriptionStart<bigint>;
  /** Most entries of `$all` per page (default 1000). */
  maxCount?: number;
}

/** Selected events with their canonical bytes, in log order: event i is `bytes[offsets[i], offsets[i + 1])`. */
export interface ComposedEvents {
  count: number;
  positions: bigint[];
  bytes: Buffer;
  /** `count + 1` offsets into `bytes`. */
  offsets: Uint32Array;
  /** With `withIdentity` only. */
  identity?: ComposedIdentity;
}

export interface ComposedIdentity {
  ids: string[];
  streams: string[];
  revisions: number[];
}

/**
 * A page of `$all`: consecutive entries, each either composed (a selected event, as canonical bytes)
 * or parsed (every other entry, as `readAll` gives it). A store may also give a selected event parsed
 * (one whose stored text it does not compose, say): consumers check parsed events with `isSelected`.
 */
export interface CanonicalPage {
  /** Entries of `$all` in the page; fewer than asked for means the page reached the end of the log. */
  scanned: number;
  /** Position of the page's last entry (undefined: the page is empty). */
  last: bigint | undefined;
  composed: ComposedEvents;
  parsed: RecordedEvent[];
  /** For each parsed entry, how many composed events come before it in the log. */
  parsedAfter: number[];
  /**
   * True when the bytes were composed from the stored text without parsing it: they are the event's
   * canonical bytes as long as the row holds what the store wrote (canonical JSON), but a row edited
   * outside the store composes to bytes that may not be canonical. False: `canonicalEventBytes` of the
   * event as read.
   */
  fromStoredText: boolean;
}

export interface CanonicalSubscription extends AsyncIterable<CanonicalPage> {
  close(): Promise<void>;
}

/** `$all` from `fromPosition`, the selected events as canonical bytes. */
export function readAllCanonical(store: EventStore, options: CanonicalReadOptions): Promise<CanonicalPage> {
  if (store.readAllCanonical) return store.readAllCanonical(options);
  return readAllParsed(store, options);
}

/**
 * A catch-up subscription to `$all` in canonical pages: past pages, then live ones, never empty. The
 * embedded store composes the live pages from what this connection has just written (the same bytes,
 * without reading them back); verification reads with `readAllCanonical`, which always reads the store.
 */
export function subscribeToAllCanonical(
  store: EventStore,
  options: CanonicalSubscribeOptions,
): CanonicalSubscription {
  if (store.subscribeToAllCanonical) return store.subscribeToAllCanonical(options);
  const subscription = store.subscribeToAll({ from: options.from ?? 'start' });
  const pages = (async function* () {
    for await (const batch of subscriptionBatches(subscription, options.maxCount ?? DEFAULT_PAGE)) {
      yield pageOf(batch, options);
    }
  })();
  return {
    [Symbol.asyncIterator]: () => pages,
    close: () => subscription.close(),
  };
}

/** Whether the selection takes `event` (what a composed event is; parsed ones may be too). */
export function isSelected(
  event: Pick<RecordedEvent, 'stream' | 'metadata'>,
  selection: CanonicalSelection,
): boolean {
  const metadata = event.metadata as unknown;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
  if ((metadata as { author?: unknown }).author !== selection.author) return false;
  return !(selection.excludeStreamPrefixes ?? []).some((prefix) => event.stream.startsWith(prefix));
}

const DEFAULT_PAGE = 1000;

async function readAllParsed(store: EventStore, options: CanonicalReadOptions): Promise<CanonicalPage> {
  const events = await store.readAll({ fromPosition: options.fromPosition, maxCount: options.maxCount });
  return pageOf(events, options);
}

/** The page of already parsed events: the selected ones as `canonicalEventBytes`. */
export function pageOf(events: readonly RecordedEvent[], selection: CanonicalPageOptions): CanonicalPage {
  const composed: RecordedEvent[] = [];
  const chunks: Uint8Array[] = [];
  const parsed: RecordedEvent[] = [];
  const parsedAfter: number[] = [];
  for (const event of events) {
    if (isSelected(event, selection)) {
      composed.push(event);
      chunks.push(canonicalEventBytes(event));
    } else {
      parsed.push(event);
      parsedAfter.push(composed.length);
    }
  }
  const offsets = new Uint32Array(chunks.length + 1);
  for (let i = 0; i < chunks.length; i++) offsets[i + 1] = offsets[i]! + chunks[i]!.length;
  return {
    scanned: events.length,
    last: events[events.length - 1]?.position,
    composed: {
      count: composed.length,
      positions: composed.map((event) => event.position),
      bytes: Buffer.concat(chunks),
      offsets,
      ...(selection.withIdentity
        ? {
            identity: {
              ids: composed.map((event) => event.id),
              streams: composed.map((event) => event.stream),
              revisions: composed.map((event) => event.revision),
            },
          }
        : {}),
    },
    parsed,
    parsedAfter,
    fromStoredText: false,
  };
}

/**
 * Catch-up over a store that reads canonical pages synchronously and signals its commits: pages after
 * `start`, then a page per wake-up. Every page is read after the last one, so there is no gap and no
 * duplicate.
 */
export function catchUpCanonical(
  read: (after: bigint | undefined) => Promise<CanonicalPage>,
  signal: ChangeSignal,
  start: bigint | undefined,
  pageSize: number,
  onEnd: () => void = () => {},
): CanonicalSubscription {
  const follower = new LogFollower<CanonicalPage, bigint>(
    async (cursor) => {
      const page = await read(cursor);
      const found = page.last !== undefined;
      return { page: found ? page : undefined, cursor: page.last ?? cursor, full: page.scanned >= pageSize };
    },
    signal,
    start,
    onEnd,
  );
  const iterator = follower.pages();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => follower.close(iterator),
  };
}
