import type { ChangeSignal } from './change-signal.js';
import { LogFollower } from './log-follower.js';
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
 * A catch-up subscription over any source that can read "after a cursor" (log-follower.ts): past
 * events then live ones, no gap, no duplicate. Consumers iterate its events or its pages (`pages()`).
 */
export function catchUpSubscription<Cursor extends bigint | number>(
  source: CatchUpSource<Cursor>,
  start: Cursor | undefined,
): Subscription {
  const follower = new LogFollower<readonly RecordedEvent[], Cursor>(
    async (cursor) => {
      const head = source.head?.();
      const page = await source.readAfter(cursor, PAGE_SIZE);
      let next = page.length > 0 ? source.cursorOf(page[page.length - 1]!) : cursor;
      if (page.length < PAGE_SIZE && head !== undefined && (next === undefined || head > next)) next = head;
      return { page: page.length > 0 ? page : undefined, cursor: next, full: page.length === PAGE_SIZE };
    },
    source.signal,
    start,
    () => source.onEnd?.(),
  );

  async function* events(): AsyncGenerator<RecordedEvent> {
    for await (const page of follower.pages()) {
      for (const event of page) {
        if (follower.closed) return;
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
    pages: () => ({ [Symbol.asyncIterator]: () => take('pages', () => follower.pages()) }),
    close: () => follower.close(iterator),
  };
}
