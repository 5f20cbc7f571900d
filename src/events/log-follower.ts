import type { ChangeSignal } from './change-signal.js';
import { CloseSignal } from './close-signal.js';

/** What one read of a followed log gave. */
export interface FollowedRead<Page, Cursor> {
  /** What to hand out; undefined when the read found nothing to hand out. */
  page: Page | undefined;
  /** Where the next read starts. */
  cursor: Cursor | undefined;
  /** The read was full: read again at once (after a turn of the event loop) instead of waiting for a change. */
  full: boolean;
}

/**
 * The loop of every catch-up subscription: read after a cursor, hand the page out, and when a read was
 * not full wait for the store's change signal (noted before the read, so no commit slips between the
 * read and the wait). It always reads from the store, so the switch from past to live has no gap and
 * no duplicate, and the consumer's pace is the only buffer.
 */
export class LogFollower<Page, Cursor> {
  readonly #closing = new CloseSignal();

  constructor(
    private readonly read: (cursor: Cursor | undefined) => Promise<FollowedRead<Page, Cursor>>,
    private readonly signal: ChangeSignal,
    private readonly start: Cursor | undefined,
    private readonly onEnd: () => void = () => {},
  ) {}

  get closed(): boolean {
    return this.#closing.closed;
  }

  async *pages(): AsyncGenerator<Page> {
    let cursor = this.start;
    try {
      while (!this.#closing.closed) {
        const seen = this.signal.version;
        const read = await this.read(cursor);
        if (this.#closing.closed) return;
        cursor = read.cursor;
        if (read.page !== undefined) yield read.page;
        if (!read.full) await this.signal.wait(seen, this.#closing);
        // A synchronous store answers reads without I/O: give the event loop a turn between pages so a
        // long catch-up never starves timers, sockets and group commits.
        else await yieldToEventLoop();
      }
    } finally {
      this.onEnd();
    }
  }

  /** Ends the pages at the next step; `iterator` (if started) is returned. */
  async close(iterator: AsyncGenerator<unknown> | undefined): Promise<void> {
    this.#closing.close();
    await iterator?.return(undefined);
    // A follower closed before its first read never entered pages().
    this.onEnd();
  }
}

/** Resolves on the next turn of the event loop (after pending I/O and timers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
