import { parseAddress, type SemanticAddress } from '../../actors/address.js';
import type { SubscriptionEventType } from '../../actors/subscription/subscription-machine.js';
import type { EventStore } from '../../events/event-store.js';
import type { RecordedEvent, Subscription } from '../../events/types.js';
import type { EventSubjects } from './event-subjects.js';
import { bzzzTypesOf, subscriptionTypeOf } from './event-types.js';
import { type BzzzEventPayload, eventPayload } from './notification.js';

/** What a subscription asks for (from its SubscriptionCreated event or its state). */
export interface SubscriptionSpec {
  id: string;
  eventTypes: SubscriptionEventType[];
  filterAddress: string | null;
  callbackWebhook: string | null;
}

/** Hands one matching event to its destination; it resolves once the destination has it (or gave up). */
export type Deliver = (payload: BzzzEventPayload, event: RecordedEvent, signal: AbortSignal) => Promise<void>;

/**
 * Follows `$all` after a position for one subscription and delivers its matching events in order, one
 * at a time (the next waits for the previous one's retries). The store filters on the event types; the
 * address filter is applied here.
 */
export class DeliveryWorker {
  readonly #abort = new AbortController();
  readonly #filter: SemanticAddress | null;
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    readonly spec: SubscriptionSpec,
    private readonly after: bigint | undefined,
    private readonly subjects: EventSubjects,
    private readonly deliver: Deliver,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#filter = spec.filterAddress === null ? null : parseAddress(spec.filterAddress);
  }

  start(): void {
    this.#subscription = this.store.subscribeToAll({
      from: this.after === undefined ? 'start' : { after: this.after },
      filter: { eventTypes: bzzzTypesOf(this.spec.eventTypes) },
    });
    this.#loop = this.#follow(this.#subscription);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#subscription?.close();
    await this.#loop;
  }

  async #follow(subscription: Subscription): Promise<void> {
    const signal = this.#abort.signal;
    try {
      for await (const event of subscription) {
        if (signal.aborted) return;
        try {
          const type = await this.#matches(event);
          if (type !== undefined) await this.deliver(eventPayload(this.spec.id, type, event), event, signal);
        } catch (error) {
          // One event's failure (a view query, an append) must not stop the subscription.
          if (!signal.aborted) this.onError(error);
        }
      }
    } catch (error) {
      if (!signal.aborted) this.onError(error);
    }
  }

  async #matches(event: RecordedEvent): Promise<SubscriptionEventType | undefined> {
    const type = subscriptionTypeOf(event.type);
    if (type === undefined || !this.spec.eventTypes.includes(type)) return undefined;
    if (this.#filter !== null && !(await this.subjects.matches(this.#filter, event))) return undefined;
    return type;
  }
}
