import type Database from 'better-sqlite3';
import type { ActorSystem } from '../../actors/actor-system.js';
import type { SubscriptionEventType } from '../../actors/subscription/subscription-machine.js';
import type { EventStore } from '../../events/event-store.js';
import type { JsonObject } from '../../events/json.js';
import type { RecordedEvent, Subscription } from '../../events/types.js';
import { DeliveryWorker, type SubscriptionSpec } from './delivery-worker.js';
import { EventSubjects } from './event-subjects.js';
import type { BzzzEventPayload } from './notification.js';
import { sendWebhook, type WebhookSettings } from './webhook-sender.js';

/** What happened to one webhook delivery, after it was recorded. */
export interface WebhookDeliveryOutcome {
  subscription_id: string;
  event_id: string;
  position: string;
  delivered: boolean;
  attempts: number;
  reason?: string;
}

export interface SubscriptionDispatcherOptions {
  store: EventStore;
  system: ActorSystem;
  readModel: Database.Database;
  webhooks: WebhookSettings;
  onError?: (error: unknown) => void;
  /** Called after each webhook outcome is recorded (metrics, tests). */
  onWebhookOutcome?: (outcome: WebhookDeliveryOutcome) => void;
}

const SUBSCRIPTION_PREFIX = 'subscription-';

/**
 * Delivers subscribed events.
 *
 * - **Webhooks** are durable: the dispatcher follows the subscriptions' lifecycle events from the start
 *   of `$all` and runs one worker per active webhook subscription, resuming after the subscription's
 *   last delivered position (or its creation). Each delivery is recorded as WebhookDelivered with the
 *   event's position, each give-up as WebhookDeliveryFailed; an event delivered but not yet recorded
 *   when the node stops is delivered again after the restart (at least once: dedupe on the event id).
 * - **MCP sessions** are live: the subscribing session gets `notifications/bzzz/event` for events after
 *   the subscription's creation while it stays connected. When the session closes, its subscriptions
 *   without a webhook are cancelled (nobody can receive them any more).
 */
export class SubscriptionDispatcher {
  readonly #webhookWorkers = new Map<string, DeliveryWorker>();
  readonly #sessionWorkers = new Map<string, { sessionId: string; worker: DeliveryWorker }>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #subjects: EventSubjects;
  readonly #onError: (error: unknown) => void;
  #control: Subscription | undefined;
  #controlLoop: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly options: SubscriptionDispatcherOptions) {
    this.#subjects = new EventSubjects(options.system, options.readModel);
    this.#onError = options.onError ?? ((error) => console.error('bzzz: subscription delivery:', error));
  }

  /** Starts following the subscriptions' lifecycle (and with it every active webhook subscription). */
  start(): void {
    this.#control = this.options.store.subscribeToAll({
      from: 'start',
      filter: {
        streamPrefixes: [SUBSCRIPTION_PREFIX],
        eventTypes: ['SubscriptionCreated', 'SubscriptionCancelled'],
      },
    });
    this.#controlLoop = this.#followLifecycle(this.#control);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    this.#stopped = true;
    await this.#control?.close();
    await this.#controlLoop;
    const workers = [
      ...this.#webhookWorkers.values(),
      ...[...this.#sessionWorkers.values()].map((s) => s.worker),
    ];
    this.#webhookWorkers.clear();
    this.#sessionWorkers.clear();
    await Promise.all(workers.map((worker) => worker.stop()));
  }

  /** Ids of the subscriptions whose webhook is being served. */
  get webhookSubscriptions(): string[] {
    return [...this.#webhookWorkers.keys()];
  }

  /** Ids of the subscriptions whose events go to an MCP session. */
  get sessionSubscriptions(): string[] {
    return [...this.#sessionWorkers.keys()];
  }

  /**
   * Sends the subscription's events recorded after `after` (its SubscriptionCreated position) to an
   * MCP session through `notify`. A session that closed while the subscription was being recorded
   * gets nothing, and the subscription ends as if the session had closed after it (sessionClosed):
   * attached then, its follower would have run for ever, for nobody.
   */
  attachSession(
    spec: SubscriptionSpec,
    session: { id: string; closed: boolean },
    after: bigint | undefined,
    notify: (payload: BzzzEventPayload) => Promise<void>,
  ): void {
    if (this.#stopped || this.#sessionWorkers.has(spec.id)) return;
    if (session.closed) {
      this.#sessionGone(spec);
      return;
    }
    const sessionId = session.id;
    const worker = new DeliveryWorker(
      this.options.store,
      spec,
      after,
      this.#subjects,
      (payload) => notify(payload),
      this.#onError,
    );
    this.#sessionWorkers.set(spec.id, { sessionId, worker });
    worker.start();
  }

  /** Stops every delivery of a subscription (it was cancelled). */
  async detach(subscriptionId: string): Promise<void> {
    const session = this.#sessionWorkers.get(subscriptionId);
    this.#sessionWorkers.delete(subscriptionId);
    const webhook = this.#webhookWorkers.get(subscriptionId);
    this.#webhookWorkers.delete(subscriptionId);
    await Promise.all([session?.worker.stop(), webhook?.stop()]);
  }

  /** The session went away: stop its notifications and cancel its subscriptions that have no webhook. */
  sessionClosed(sessionId: string): void {
    for (const [id, { sessionId: owner, worker }] of this.#sessionWorkers) {
      if (owner !== sessionId) continue;
      this.#sessionWorkers.delete(id);
      this.#track(worker.stop());
      this.#sessionGone(worker.spec);
    }
  }

  /** A subscription's session is gone: without a webhook, nothing receives its events any more. */
  #sessionGone(spec: SubscriptionSpec): void {
    if (spec.callbackWebhook !== null || this.#stopped) return;
    this.#track(
      this.options.system.send('subscription', spec.id, {
        type: 'CancelSubscription',
        reason: 'MCP session closed',
      }),
    );
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise
      .catch((error: unknown) => this.#onError(error))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async #followLifecycle(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        if (this.#stopped) return;
        try {
          await this.#onLifecycleEvent(event);
        } catch (error) {
          if (!this.#stopped) this.#onError(error);
        }
      }
    } catch (error) {
      if (!this.#stopped) this.#onError(error);
    }
  }

  async #onLifecycleEvent(event: RecordedEvent): Promise<void> {
    const id = event.stream.slice(SUBSCRIPTION_PREFIX.length);
    if (event.type === 'SubscriptionCancelled') {
      await this.detach(id);
      return;
    }
    const created = event.data as JsonObject;
    if (typeof created.callback_webhook !== 'string' || this.#webhookWorkers.has(id)) return;
    // The current state says whether it is still active and how far delivery got before a restart.
    const { state } = await this.options.system.inspect('subscription', id);
    if (state.status !== 'active' || this.#stopped) return;
    const delivered =
      typeof state.last_delivered_position === 'string' ? BigInt(state.last_delivered_position) : undefined;
    const after = delivered !== undefined && delivered > event.position ? delivered : event.position;
    const spec: SubscriptionSpec = {
      id,
      eventTypes: state.event_types as SubscriptionEventType[],
      filterAddress: (state.filter_address as string | null) ?? null,
      callbackWebhook: created.callback_webhook,
    };
    const worker = new DeliveryWorker(
      this.options.store,
      spec,
      after,
      this.#subjects,
      (payload, recorded, signal) => this.#deliverToWebhook(spec, payload, recorded, signal),
      this.#onError,
    );
    this.#webhookWorkers.set(id, worker);
    worker.start();
  }

  async #deliverToWebhook(
    spec: SubscriptionSpec,
    payload: BzzzEventPayload,
    event: RecordedEvent,
    signal: AbortSignal,
  ): Promise<void> {
    const outcome = await sendWebhook(spec.callbackWebhook!, payload, this.options.webhooks, signal);
    // Stopping mid-delivery records nothing: the event is delivered again after the restart.
    if (!outcome.delivered && outcome.stopped) return;
    const position = event.position.toString();
    if (outcome.delivered) {
      await this.options.system.send('subscription', spec.id, {
        type: 'RecordWebhookDelivery',
        event_id: event.id,
        position,
        attempts: outcome.attempts,
      });
    } else {
      await this.options.system.send('subscription', spec.id, {
        type: 'RecordWebhookFailure',
        event_id: event.id,
        attempts: Math.max(1, outcome.attempts),
        reason: outcome.reason.slice(0, 10_000),
      });
    }
    this.options.onWebhookOutcome?.({
      subscription_id: spec.id,
      event_id: event.id,
      position,
      delivered: outcome.delivered,
      attempts: outcome.attempts,
      ...(outcome.delivered ? {} : { reason: outcome.reason }),
    });
  }
}
