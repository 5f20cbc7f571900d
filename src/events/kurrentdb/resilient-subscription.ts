import type { ResolvedEvent } from '@kurrent/kurrentdb-client';
import type { RecordedEvent, Subscription } from '../types.js';
import { CLOSED, CloseSignal } from '../close-signal.js';
import { pause } from './deadline.js';

/** What the client's catch-up subscriptions have in common: a readable of events that can be cancelled. */
export interface ClientSubscription extends AsyncIterable<ResolvedEvent> {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  unsubscribe(): Promise<void>;
  destroy(): unknown;
}

/** One server subscription: where it starts, how it advances, what it shows. */
export interface SubscriptionSource<Cursor> {
  /** Where to begin: undefined is "from the first event"; may fail and is then tried again. */
  start(): Promise<Cursor | undefined>;
  /** A server subscription delivering the events strictly after `cursor`. */
  open(cursor: Cursor | undefined): ClientSubscription;
  /** The cursor after a delivered event, or undefined when the event does not move it. */
  cursorOf(resolved: ResolvedEvent): Cursor | undefined;
  /** Whether `next` lies strictly after `cursor` (anything else was delivered already). */
  isAfter(next: Cursor, cursor: Cursor): boolean;
  /** The event as the port shows it, or undefined when it is hidden or filtered out. */
  accept(resolved: ResolvedEvent): RecordedEvent | undefined;
  /** A failure as the port's error, and whether reconnecting may cure it. */
  failure(error: unknown): { error: Error; retry: boolean };
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 2_000;

/**
 * A catch-up subscription that survives connection faults: it remembers the last event delivered by
 * the server (shown or not) and, when the server or the connection goes away, subscribes again
 * strictly after it, with a growing pause between attempts. So the consumer sees every event once,
 * in order, with no gap, however often the connection drops. It stops only when closed or on an
 * error no retry can cure (a tombstoned stream).
 */
export function resilientSubscription<Cursor>(
  source: SubscriptionSource<Cursor>,
  onClose: () => void = () => undefined,
): Subscription {
  const closing = new CloseSignal();

  async function* run(): AsyncGenerator<RecordedEvent> {
    let started = false;
    let cursor: Cursor | undefined;
    let failures = 0;
    while (!closing.closed) {
      let subscription: ClientSubscription | undefined;
      try {
        if (!started) {
          const start = source.start();
          start.catch(() => undefined);
          const first = await closing.race(start);
          if (first === CLOSED) return;
          cursor = first;
          started = true;
        }
        subscription = source.open(cursor);
        subscription.on('error', () => undefined);
        const iterator = subscription[Symbol.asyncIterator]();
        for (;;) {
          const pending = iterator.next();
          pending.catch(() => undefined);
          const next = await closing.race(pending);
          if (next === CLOSED) return;
          if (next.done) throw new Error('the server ended the subscription');
          failures = 0;
          const moved = source.cursorOf(next.value);
          if (moved !== undefined) {
            if (cursor !== undefined && !source.isAfter(moved, cursor)) continue;
            cursor = moved;
          }
          const event = source.accept(next.value);
          if (event) yield event;
        }
      } catch (error) {
        if (closing.closed) return;
        const { error: mapped, retry } = source.failure(error);
        if (!retry) throw mapped;
        failures++;
        await pause(Math.min(FIRST_RETRY_MS * 2 ** failures, MAX_RETRY_MS), closing);
      } finally {
        if (subscription) {
          subscription.unsubscribe().catch(() => undefined);
          subscription.destroy();
        }
      }
    }
  }

  const iterator = run();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      if (!closing.closed) {
        closing.close();
        onClose();
      }
      await iterator.return(undefined);
    },
  };
}
