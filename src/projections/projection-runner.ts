import type Database from 'better-sqlite3';
import { yieldToEventLoop } from '../events/log-follower.js';
import type { EventStore } from '../events/event-store.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { ProjectionDefinition } from './projection.js';
import { type ProjectionLag, projectionLag } from './projection-lag.js';
import { ProjectionLoop } from './projection-loop.js';
import type { ProjectionService } from './projection-service.js';
import { ProjectionView, type ProjectionStatus } from './projection-view.js';
import { ReadYourWrites } from './read-your-writes.js';

export type { ProjectionLag } from './projection-lag.js';
export { ProjectionTimeoutError } from './read-your-writes.js';

export interface RebuildProgress {
  name: string;
  /** Position reached and the head when the rebuild began: the progress bar's fraction. */
  position: bigint;
  head: bigint;
  events: number;
  eventsPerSecond: number;
  etaSeconds: number | undefined;
}

const REBUILD_PAGE = 2000;

/**
 * Runs every projection against one store and read-model database, following `$all` once for all of
 * them (projection-loop.ts); answers read-your-writes waits.
 */
export class ProjectionRunner implements ProjectionService {
  readonly #views = new Map<string, ProjectionView>();
  readonly #loop: ProjectionLoop;
  readonly #waits = new ReadYourWrites(this.#views);

  constructor(
    private readonly store: EventStore,
    db: Database.Database,
    projections: readonly ProjectionDefinition[],
    private readonly clock: () => number = Date.now,
  ) {
    const checkpoints = new CheckpointStore(db);
    for (const definition of projections) {
      this.#views.set(definition.name, new ProjectionView(definition, db, checkpoints, clock));
    }
    this.#loop = new ProjectionLoop(store, db);
  }

  start(): void {
    this.#loop.join(this.#views.values());
  }

  /** Stops following `$all`; the checkpoints the views hold in memory only are written first. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  status(): ProjectionStatus[] {
    return [...this.#views.values()].map((view) => view.status());
  }

  /**
   * Read-your-writes: resolves once the named projections (all when none are named) reflect `position`,
   * or fails with PROJECTION_TIMEOUT after `timeoutMs`.
   */
  waitFor(position: bigint | undefined, timeoutMs = 5000, names?: readonly string[]): Promise<void> {
    return this.#waits.waitFor(position, timeoutMs, names);
  }

  /**
   * A command was answered: its events, of these types, were appended up to `position`. Every view
   * that reads one of the types owes that position to the queries that follow ({@link settle}); the
   * command itself does not wait for the views.
   */
  noteWrite(position: bigint | undefined, eventTypes: readonly string[]): void {
    this.#waits.noteWrite(position, eventTypes);
  }

  /**
   * Read-your-writes for a query: resolves once the named views (all when none are named) reflect every
   * write noted so far ({@link noteWrite}), at once when they do already; PROJECTION_TIMEOUT after
   * `timeoutMs`, or the view's failure if it failed or stopped.
   */
  settle(names?: readonly string[], timeoutMs = 5000): Promise<void> {
    return this.#waits.settle(names, timeoutMs);
  }

  lag(): Promise<ProjectionLag[]> {
    return projectionLag(this.store, () => this.status());
  }

  /**
   * Rebuilds one projection from zero (the others keep running): empties the view, re-reads `$all`
   * in pages, reporting progress, then follows live events again.
   */
  async rebuild(
    name: string,
    onProgress: (progress: RebuildProgress) => void = () => {},
  ): Promise<ProjectionStatus> {
    const view = this.#waits.view(name);
    // Out of the shared loop while it is rebuilt from its own reads; the other views go on.
    this.#loop.leave(view);
    view.reset();
    const head = (await this.#head()) ?? 0n;
    // A view that names its event types reads only those: the others would be skipped anyway.
    const types = view.definition.eventTypes;
    const filter = types ? { eventTypes: types } : undefined;
    const started = this.clock();
    let events = 0;
    let from: bigint | 'start' = 'start';
    for (;;) {
      // The head before the read: every matching event up to it is in this page or an earlier one.
      const headBefore = await this.#head();
      const page = await this.store.readAll({
        fromPosition: from,
        maxCount: REBUILD_PAGE,
        ...(filter ? { filter } : {}),
      });
      const complete = page.length < REBUILD_PAGE;
      view.apply(page, complete ? headBefore : undefined);
      events += page.length;
      const position = page.at(-1)?.position ?? headBefore ?? 0n;
      from = position + 1n;
      const seconds = Math.max(1e-3, (this.clock() - started) / 1000);
      const fraction = complete ? 1 : head > 0n ? Number((position * 10_000n) / head) / 10_000 : 1;
      onProgress({
        name,
        position: complete ? (headBefore ?? position) : position,
        head,
        events,
        eventsPerSecond: events / seconds,
        etaSeconds: fraction > 0 ? (seconds / fraction) * (1 - Math.min(1, fraction)) : undefined,
      });
      if (complete) break;
      await yieldToEventLoop();
    }
    // Back into the shared loop, which reads again what the view lacks if the loop is past the rebuild.
    this.#loop.join([view]);
    return view.status();
  }

  async #head(): Promise<bigint | undefined> {
    const [last] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    return last?.position;
  }
}
