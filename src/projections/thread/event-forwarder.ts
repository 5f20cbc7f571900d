import { toWire, type WireEvent } from '../../events/event-wire.js';
import { subscriptionBatches } from '../../events/subscription-batches.js';
import type { RecordedEvent, Subscription, SubscriptionStart } from '../../events/types.js';
import { type EventSource, MAX_BATCH } from '../projection-loop.js';
import { MAX_BATCHES_IN_FLIGHT, type ToWorker } from './protocol.js';

/**
 * The main thread's side of the projection worker's event source: serves each subscription the worker
 * asks for with one of the store (whose live events come from memory), in batches, each cut down to the
 * events some view reads, and sends the next batch only while fewer than MAX_BATCHES_IN_FLIGHT are not
 * yet consumed, so that a catch-up from zero reads the store at the worker's pace instead of filling
 * memory.
 */
export class EventForwarder {
  readonly #feeds = new Map<number, Feed>();
  #closed = false;

  constructor(
    private readonly store: EventSource,
    /** The event types some view reads; undefined: some view reads them all. */
    private readonly types: ReadonlySet<string> | undefined,
    private readonly post: (message: ToWorker) => void,
  ) {}

  subscribe(id: number, from: SubscriptionStart<bigint>): void {
    if (this.#closed) return;
    let subscription: Subscription;
    try {
      subscription = this.store.subscribeToAll({ from });
    } catch (error) {
      // As a subscription that failed at once: the worker's views fail with the store's error.
      this.post({ type: 'end', id, error: messageOf(error) });
      return;
    }
    const feed = new Feed(id, subscription, this.types, this.post);
    this.#feeds.set(id, feed);
    void feed.done.then(() => this.#feeds.delete(id));
  }

  /** The worker consumed `batches` batches of subscription `id`. */
  acked(id: number, batches: number): void {
    this.#feeds.get(id)?.acked(batches);
  }

  /** The worker closed subscription `id`. */
  close(id: number): Promise<void> {
    return this.#feeds.get(id)?.close() ?? Promise.resolve();
  }

  /** Closes every subscription (the worker is gone); resolves once the store's are closed. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#feeds.values()].map((feed) => feed.close()));
  }
}

/** One subscription of the worker, fed from one of the store. */
class Feed {
  readonly done: Promise<void>;
  #inFlight = 0;
  #wake: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(
    private readonly id: number,
    private readonly subscription: Subscription,
    private readonly types: ReadonlySet<string> | undefined,
    private readonly post: (message: ToWorker) => void,
  ) {
    this.done = this.#pump();
  }

  acked(batches: number): void {
    this.#inFlight -= batches;
    this.#wake?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#closeSubscription();
    await this.done;
  }

  /** Closes the store's subscription once; a failure to close it changes nothing for the worker. */
  #closeSubscription(): Promise<void> {
    return (this.#closing ??= this.subscription.close().catch(() => {}));
  }

  async #pump(): Promise<void> {
    try {
      for await (const batch of subscriptionBatches(this.subscription, MAX_BATCH)) {
        if (this.#closed) break;
        this.post({ type: 'events', id: this.id, events: forwarded(batch, this.types) });
        this.#inFlight++;
        while (this.#inFlight >= MAX_BATCHES_IN_FLIGHT && !this.#closed) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
        }
      }
      if (!this.#closed) this.post({ type: 'end', id: this.id });
    } catch (error) {
      if (!this.#closed) {
        this.post({ type: 'end', id: this.id, error: messageOf(error) });
      }
    } finally {
      await this.#closeSubscription();
    }
  }
}

/**
 * The events of a batch some view reads, and the batch's last event in any case: the views that read
 * none of the others still move their checkpoints past them (the waits for its position resolve).
 */
function forwarded(batch: RecordedEvent[], types: ReadonlySet<string> | undefined): WireEvent[] {
  const events: WireEvent[] = [];
  const last = batch.length - 1;
  for (let i = 0; i <= last; i++) {
    const event = batch[i]!;
    if (i === last || types === undefined || types.has(event.type)) events.push(toWire(event));
  }
  return events;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
