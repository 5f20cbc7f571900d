import type { EventStore } from '../../events/event-store.js';
import { pagesOf } from '../../events/subscription-pages.js';
import type { RecordedEvent, Subscription } from '../../events/types.js';
import { costProjection } from '../../projections/cost/cost-projection.js';
import type { ProjectionService } from '../../projections/projection-service.js';
import { statsProjection } from '../../projections/stats/stats-projection.js';
import { agentUri, COST_REPORT_URI, STATS_REPORT_URI, threadUri } from './resource-uris.js';

/** Resources whose content changed, and whether the resource list changed (a new agent or thread). */
export interface ResourceChange {
  uris: ReadonlySet<string>;
  listChanged: boolean;
}

const STATS_EVENTS = new Set<string>(statsProjection.eventTypes ?? []);
const COST_EVENTS = new Set<string>(costProjection.eventTypes ?? []);
const LIST_EVENTS = new Set(['AgentAnnounced', 'ThreadCreated']);

/**
 * Follows `$all` from the moment it starts and tells listeners which resources changed: the resources
 * some session subscribed to ({@link watch}), and whether the list changed. Changes are announced once
 * the read models reflect them (the runner's read-your-writes wait), so a client that reads a resource
 * on `notifications/resources/updated` sees the new content; a burst of events becomes one
 * announcement. Events that change nothing anyone watches cost no announcement and no wait.
 */
export class ResourceChangeFeed {
  readonly #listeners = new Set<(change: ResourceChange) => void>();
  /** Subscribed resources, with how many subscriptions each has. */
  readonly #watched = new Map<string, number>();
  #uris = new Set<string>();
  #listChanged = false;
  #position: bigint | undefined;
  #flushing: Promise<void> | undefined;
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly projections: ProjectionService,
    private readonly options: { timeoutMs: number; onError: (error: unknown) => void },
  ) {}

  start(): void {
    this.#subscription = this.store.subscribeToAll({ from: 'end' });
    this.#loop = this.#follow(this.#subscription);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#subscription?.close();
    await this.#loop;
    await this.#flushing;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: (change: ResourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A session subscribed to `uri`: its changes are announced from now on (until as many unwatch). */
  watch(uri: string): void {
    this.#watched.set(uri, (this.#watched.get(uri) ?? 0) + 1);
  }

  unwatch(uri: string): void {
    const count = this.#watched.get(uri) ?? 0;
    if (count <= 1) this.#watched.delete(uri);
    else this.#watched.set(uri, count - 1);
  }

  async #follow(subscription: Subscription): Promise<void> {
    try {
      for await (const page of pagesOf(subscription)) {
        for (const event of page) {
          if (this.#stopped) return;
          this.#collect(event);
        }
      }
    } catch (error) {
      if (!this.#stopped) this.options.onError(error);
    }
  }

  #collect(event: RecordedEvent): void {
    if (this.#listeners.size === 0) return;
    if (this.#watched.size > 0) {
      const dash = event.stream.indexOf('-');
      const category = event.stream.slice(0, dash);
      const id = event.stream.slice(dash + 1);
      if (category === 'agent') this.#changed(agentUri(id));
      if (category === 'thread') this.#changed(threadUri(id));
      if (STATS_EVENTS.has(event.type)) this.#changed(STATS_REPORT_URI);
      if (COST_EVENTS.has(event.type)) this.#changed(COST_REPORT_URI);
    }
    if (LIST_EVENTS.has(event.type)) this.#listChanged = true;
    if (this.#uris.size === 0 && !this.#listChanged) return;
    this.#position = event.position;
    this.#flushing ??= this.#flush();
  }

  #changed(uri: string): void {
    if (this.#watched.has(uri)) this.#uris.add(uri);
  }

  async #flush(): Promise<void> {
    // Let the rest of a burst arrive first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#position !== undefined && !this.#stopped) {
      const change: ResourceChange = { uris: this.#uris, listChanged: this.#listChanged };
      const position = this.#position;
      this.#uris = new Set();
      this.#listChanged = false;
      this.#position = undefined;
      try {
        await this.projections.waitFor(position, this.options.timeoutMs);
      } catch (error) {
        // Announce anyway: a late view is better than a missed update.
        this.options.onError(error);
      }
      if (this.#stopped) break;
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch (error) {
          this.options.onError(error);
        }
      }
    }
    this.#flushing = undefined;
  }
}
