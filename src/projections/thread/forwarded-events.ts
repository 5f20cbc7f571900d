import { fromWire } from '../../events/event-wire.js';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../../events/types.js';
import type { EventSource } from '../projection-loop.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** What the worker's report (worker-report.ts) counts of each subscription's batches. */
export interface BatchFlow {
  received(id: number): void;
  /** The consumer took a batch (as a page, or its first event). */
  consumed(id: number): void;
  /** The subscription is closed. */
  forget(id: number): void;
}

/**
 * The projection worker's `$all`: each subscription asks the main thread for one of its store's
 * (event-forwarder.ts) and yields the events it is sent, a batch at a time to the views' loop
 * (projection-loop.ts), which follows it as it would the store.
 */
export class ForwardedEvents implements EventSource {
  readonly #subscriptions = new Map<number, ForwardedSubscription>();
  #next = 0;

  constructor(
    private readonly post: (message: FromWorker) => void,
    private readonly flow: BatchFlow,
  ) {}

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    if (options.filter) throw new Error('internal: forwarded subscriptions take no filter');
    const id = ++this.#next;
    const subscription = new ForwardedSubscription(
      () => this.flow.consumed(id),
      () => {
        this.#subscriptions.delete(id);
        this.flow.forget(id);
        this.post({ type: 'close', id });
      },
    );
    this.#subscriptions.set(id, subscription);
    this.post({ type: 'subscribe', id, from: options.from ?? 'start' });
    return subscription;
  }

  /** A message of the main thread about a subscription (those of closed ones are dropped). */
  receive(message: Exclude<ToWorker, { type: 'stop' }>): void {
    const subscription = this.#subscriptions.get(message.id);
    if (!subscription) return;
    if (message.type === 'events') {
      this.flow.received(message.id);
      subscription.push(message.events.map(fromWire));
    } else {
      this.#subscriptions.delete(message.id);
      this.flow.forget(message.id);
      subscription.end(message.error === undefined ? undefined : new Error(message.error));
    }
  }
}

/**
 * The events of one forwarded subscription, in the order sent, batch after batch: one at a time, or a
 * batch at a time as pages (what the views' loop reads: no promise per event).
 */
class ForwardedSubscription implements Subscription {
  readonly #batches: RecordedEvent[][] = [];
  /** The iteration started (events or pages): closing the subscription ends it. */
  #iterator: AsyncGenerator<unknown> | undefined;
  #wake: (() => void) | undefined;
  #ended = false;
  #error: Error | undefined;
  #closed = false;

  constructor(
    private readonly consumed: () => void,
    private readonly closing: () => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.#start(this.#events());
  }

  pages(): AsyncIterable<readonly RecordedEvent[]> {
    const pages = this.#start(this.#pages());
    return { [Symbol.asyncIterator]: () => pages };
  }

  push(events: RecordedEvent[]): void {
    this.#batches.push(events);
    this.#wake?.();
  }

  /** No more events: the main thread's subscription ended, or failed with `error`. */
  end(error?: Error): void {
    this.#ended = true;
    this.#error = error;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.closing();
    }
    this.#wake?.();
    await this.#iterator?.return(undefined);
  }

  #start<T>(iterator: AsyncGenerator<T>): AsyncGenerator<T> {
    if (this.#iterator) throw new Error('internal: a forwarded subscription is iterated once');
    this.#iterator = iterator;
    return iterator;
  }

  async *#events(): AsyncGenerator<RecordedEvent> {
    for await (const batch of this.#pages()) {
      for (const event of batch) {
        yield event;
        if (this.#closed) return;
      }
    }
  }

  /** The batches as sent, the empty ones left out; each is consumed as it is handed out. */
  async *#pages(): AsyncGenerator<RecordedEvent[]> {
    for (;;) {
      if (this.#closed) return;
      const batch = this.#batches.shift();
      if (batch) {
        this.consumed();
        if (batch.length > 0) yield batch;
      } else if (this.#ended) {
        if (this.#error) throw this.#error;
        return;
      } else {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    }
  }
}
