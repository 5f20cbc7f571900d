import type { ChangeSignal } from './change-signal.js';
import type { RecordedEvent, Subscription } from './types.js';

export interface CatchUpSource<Cursor extends bigint | number> {
  /** Events strictly after `cursor` (undefined: from the beginning), in order, at most `limit`. */
  readAfter(cursor: Cursor | undefined, limit: number): Promise<RecordedEvent[]>;
  cursorOf(event: RecordedEvent): Cursor;
  signal: ChangeSignal;
  /**
   * For filtered reads: the head of the log, read before a page. When the page comes back short,
   * every matching event up to that head was in it, so the next read starts there instead of
   * scanning the skipped events again.
   */
  head?(): Cursor | undefined;
  /** Called once the subscription ends (closed, or its consumer stopped iterating). */
  onEnd?(): void;
}

const PAGE_SIZE = 512;

/**
 * A catch-up subscription over any source that can read "after a cursor": it always reads from the
 * store, so the switch from past to live events has no gap and no duplicate, and the consumer's pace
 * is the only buffer (back-pressure for free). Consumers iterate its events or its pages (`pages()`).
 */
export function catchUpSubscription<Cursor extends bigint | number>(
  source: CatchUpSource<Cursor>,
  start: Cursor | undefined,
): Subscription {
  let closed = false;
  let markClosed!: () => void;
  const closing = new Promise<void>((resolve) => {
    markClosed = resolve;
  });

  async function* pages(): AsyncGenerator<readonly RecordedEvent[]> {
    let cursor = start;
    try {
      while (!closed) {
        const seen = source.signal.version;
        const head = source.head?.();
        const page = await source.readAfter(cursor, PAGE_SIZE);
        if (closed) return;
        if (page.length > 0) {
          cursor = source.cursorOf(page[page.length - 1]!);
          yield page;
        }
        if (page.length < PAGE_SIZE && head !== undefined && (cursor === undefined || head > cursor))
          cursor = head;
        if (page.length < PAGE_SIZE) await source.signal.wait(seen, closing);
        // A synchronous store answers reads without I/O: give the event loop a turn between pages so a
        // long catch-up never starves timers, sockets and group commits.
        else await yieldToEventLoop();
      }
    } finally {
      source.onEnd?.();
    }
  }

  async function* events(): AsyncGenerator<RecordedEvent> {
    for await (const page of pages()) {
      for (const event of page) {
        if (closed) return;
        yield event;
      }
    }
  }

  let iterator: AsyncGenerator<unknown> | undefined;
  let iterated: 'events' | 'pages' | undefined;
  function take<T>(as: 'events' | 'pages', make: () => AsyncGenerator<T>): AsyncGenerator<T> {
    if (iterated !== undefined && iterated !== as)
      throw new Error(`this subscription is already iterated by ${iterated}`);
    iterated = as;
    iterator ??= make();
    return iterator as AsyncGenerator<T>;
  }

  return {
    [Symbol.asyncIterator]: () => take('events', events),
    pages: () => ({ [Symbol.asyncIterator]: () => take('pages', pages) }),
    async close() {
      closed = true;
      markClosed();
      await iterator?.return(undefined);
      // A subscription closed before its first read never entered its generator.
      source.onEnd?.();
    },
  };
}

/** Resolves on the next turn of the event loop (after pending I/O and timers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
