import type Database from 'better-sqlite3';
import { BzzzError } from '../errors.js';
import { yieldToEventLoop } from '../events/catch-up-subscription.js';
import type { EventStore } from '../events/event-store.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { ProjectionDefinition } from './projection.js';
import { ProjectionWorker, type ProjectionStatus } from './projection-worker.js';

/** How far a projection is behind the head of `$all`. */
export interface ProjectionLag extends ProjectionStatus {
  head: bigint | undefined;
  /** Events recorded after the view's position (counted up to 10,000). */
  eventsBehind: number;
  /** Recorded-time distance between the head and the last event the view reflects. */
  msBehind: number;
}

export interface RebuildProgress {
  name: string;
  /** Position reached and the head when the rebuild began: the progress bar's fraction. */
  position: bigint;
  head: bigint;
  events: number;
  eventsPerSecond: number;
  etaSeconds: number | undefined;
}

const LAG_COUNT_CAP = 10_000;
const REBUILD_PAGE = 2000;

/** A query waited for a projection to reach a position longer than it was allowed to. */
export class ProjectionTimeoutError extends BzzzError {
  constructor(position: bigint, timeoutMs: number, behind: string[]) {
    super(
      'PROJECTION_TIMEOUT',
      `read model did not reach position ${position} within ${timeoutMs} ms (behind: ${behind.join(', ')})`,
      { position: position.toString(), timeoutMs, behind },
    );
  }
}

const SETTLED = Promise.resolve();

/** Runs every projection against one store and read-model database; answers read-your-writes waits. */
export class ProjectionRunner {
  readonly #workers = new Map<string, ProjectionWorker>();
  /** Per view, the position of the last write noted for it that it may not reflect yet (see noteWrite). */
  readonly #owed = new Map<ProjectionWorker, bigint>();

  constructor(
    private readonly store: EventStore,
    db: Database.Database,
    projections: readonly ProjectionDefinition[],
    private readonly clock: () => number = Date.now,
  ) {
    const checkpoints = new CheckpointStore(db);
    for (const definition of projections) {
      this.#workers.set(definition.name, new ProjectionWorker(definition, db, store, checkpoints, clock));
    }
  }

  start(): void {
    for (const worker of this.#workers.values()) worker.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((worker) => worker.stop()));
  }

  status(): ProjectionStatus[] {
    return [...this.#workers.values()].map((worker) => worker.status());
  }

  /**
   * Read-your-writes: resolves once the named projections (all when none are named) reflect `position`,
   * or fails with PROJECTION_TIMEOUT after `timeoutMs`.
   */
  async waitFor(position: bigint | undefined, timeoutMs = 5000, names?: readonly string[]): Promise<void> {
    if (position === undefined) return;
    const workers = names ? names.map((name) => this.#worker(name)) : [...this.#workers.values()];
    await this.#waitAll(
      workers.map((worker) => [worker, position]),
      timeoutMs,
    );
  }

  /**
   * A command was answered: its events, of these types, were appended up to `position`. Every view
   * that reads one of the types owes that position to the queries that follow ({@link settle}); the
   * command itself does not wait for the views.
   */
  noteWrite(position: bigint | undefined, eventTypes: readonly string[]): void {
    if (position === undefined) return;
    for (const worker of this.#workers.values()) {
      if (!worker.reads(eventTypes) || reflects(worker, position)) continue;
      const owed = this.#owed.get(worker);
      if (owed === undefined || owed < position) this.#owed.set(worker, position);
    }
  }

  /**
   * Read-your-writes for a query: resolves once the named views (all when none are named) reflect every
   * write noted so far ({@link noteWrite}), at once when they do already; PROJECTION_TIMEOUT after
   * `timeoutMs`, or the view's failure if it failed or stopped.
   */
  settle(names?: readonly string[], timeoutMs = 5000): Promise<void> {
    let workers: Iterable<ProjectionWorker>;
    try {
      workers = names ? names.map((name) => this.#worker(name)) : this.#workers.values();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    let behind: [ProjectionWorker, bigint][] | undefined;
    for (const worker of workers) {
      const owed = this.#owed.get(worker);
      if (owed === undefined) continue;
      if (reflects(worker, owed)) this.#owed.delete(worker);
      else (behind ??= []).push([worker, owed]);
    }
    return behind ? this.#waitAll(behind, timeoutMs) : SETTLED;
  }

  /** Resolves once every worker reflects its position: without a timer when they all do already. */
  #waitAll(waits: readonly [ProjectionWorker, bigint][], timeoutMs: number): Promise<void> {
    const pending = waits.filter(([worker, position]) => !reflects(worker, position));
    if (pending.length === 0) return SETTLED;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const behind = pending.filter(([worker, position]) => !reflects(worker, position));
        const position = behind.reduce((max, [, p]) => (p > max ? p : max), 0n);
        reject(
          new ProjectionTimeoutError(
            position,
            timeoutMs,
            behind.map(([w]) => w.definition.name),
          ),
        );
      }, timeoutMs);
    });
    const reached = Promise.all(pending.map(([worker, position]) => worker.reached(position)));
    return Promise.race([reached, timeout]).then(
      () => clearTimeout(timer),
      (error: unknown) => {
        clearTimeout(timer);
        throw error;
      },
    );
  }

  async lag(): Promise<ProjectionLag[]> {
    const [head] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    return Promise.all(
      [...this.#workers.values()].map(async (worker) => {
        const status = worker.status();
        const behind =
          head && (status.position === undefined || status.position < head.position)
            ? await this.store.readAll({
                fromPosition: status.position === undefined ? 'start' : status.position + 1n,
                maxCount: LAG_COUNT_CAP,
              })
            : [];
        const msBehind =
          head && behind.length > 0 ? Date.parse(head.recordedAt) - Date.parse(behind[0]!.recordedAt) : 0;
        return {
          ...status,
          head: head?.position,
          eventsBehind: behind.length,
          msBehind: Math.max(0, msBehind),
        };
      }),
    );
  }

  /**
   * Rebuilds one projection from zero (the others keep running): empties the view, re-reads `$all`
   * in pages, reporting progress, then follows live events again.
   */
  async rebuild(
    name: string,
    onProgress: (progress: RebuildProgress) => void = () => {},
  ): Promise<ProjectionStatus> {
    const worker = this.#worker(name);
    await worker.stop();
    worker.reset();
    const head = (await this.#head()) ?? 0n;
    // A view that names its event types reads only those: the others would be skipped anyway.
    const types = worker.definition.eventTypes;
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
      worker.apply(page, complete ? headBefore : undefined);
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
    worker.start();
    return worker.status();
  }

  async #head(): Promise<bigint | undefined> {
    const [last] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    return last?.position;
  }

  #worker(name: string): ProjectionWorker {
    const worker = this.#workers.get(name);
    if (!worker) {
      throw new BzzzError(
        'INVALID_PARAMETERS',
        `no projection "${name}"; known: ${[...this.#workers.keys()].join(', ')}`,
      );
    }
    return worker;
  }
}

function reflects(worker: ProjectionWorker, position: bigint): boolean {
  return worker.position !== undefined && worker.position >= position;
}
