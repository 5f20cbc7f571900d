import { CloseSignal } from '../events/close-signal.js';
import { BzzzError } from '../errors.js';
import type { ProjectionStatus } from './projection-view.js';

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

/**
 * What the waits need of a view: a view of this thread (projection-view.ts) or the main thread's mirror
 * of a view a projection worker runs (view-mirror.ts).
 */
export interface WatchedView {
  readonly name: string;
  readonly position: bigint | undefined;
  /** Whether the view reads any of these event types. */
  reads(eventTypes: readonly string[]): boolean;
  /**
   * Resolves once the view reflects `position`; rejects if it fails or stops first; dropped (never
   * settles) once `until` closes.
   */
  reached(position: bigint, until?: CloseSignal): Promise<void>;
  status(): ProjectionStatus;
}

const SETTLED = Promise.resolve();

/**
 * Read-your-writes over a set of views, wherever they run: waits for positions ({@link waitFor}), and
 * the positions the answered commands left owed to the queries that follow ({@link noteWrite},
 * {@link settle}).
 */
export class ReadYourWrites<View extends WatchedView> {
  /** Per view, the position of the last write noted for it that it may not reflect yet (see noteWrite). */
  readonly #owed = new Map<View, bigint>();

  constructor(private readonly views: ReadonlyMap<string, View>) {}

  /** The view of that name; INVALID_PARAMETERS when there is none. */
  view(name: string): View {
    const view = this.views.get(name);
    if (!view) {
      throw new BzzzError(
        'INVALID_PARAMETERS',
        `no projection "${name}"; known: ${[...this.views.keys()].join(', ')}`,
      );
    }
    return view;
  }

  /**
   * Resolves once the named views (all when none are named) reflect `position`, or fails with
   * PROJECTION_TIMEOUT after `timeoutMs`.
   */
  async waitFor(position: bigint | undefined, timeoutMs = 5000, names?: readonly string[]): Promise<void> {
    if (position === undefined) return;
    const views = names ? names.map((name) => this.view(name)) : [...this.views.values()];
    await this.#waitAll(
      views.map((view) => [view, position]),
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
    for (const view of this.views.values()) {
      if (!view.reads(eventTypes) || reflects(view, position)) continue;
      const owed = this.#owed.get(view);
      if (owed === undefined || owed < position) this.#owed.set(view, position);
    }
  }

  /**
   * Resolves once the named views (all when none are named) reflect every write noted so far
   * ({@link noteWrite}), at once when they do already; PROJECTION_TIMEOUT after `timeoutMs`, or the
   * view's failure if it failed or stopped.
   */
  settle(names?: readonly string[], timeoutMs = 5000): Promise<void> {
    let views: Iterable<View>;
    try {
      views = names ? names.map((name) => this.view(name)) : this.views.values();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    let behind: [View, bigint][] | undefined;
    for (const view of views) {
      const owed = this.#owed.get(view);
      if (owed === undefined) continue;
      if (reflects(view, owed)) this.#owed.delete(view);
      else (behind ??= []).push([view, owed]);
    }
    return behind ? this.#waitAll(behind, timeoutMs) : SETTLED;
  }

  /** Resolves once every view reflects its position: without a timer when they all do already. */
  #waitAll(waits: readonly [View, bigint][], timeoutMs: number): Promise<void> {
    const pending = waits.filter(([view, position]) => !reflects(view, position));
    if (pending.length === 0) return SETTLED;
    let timer: NodeJS.Timeout | undefined;
    // A wait that timed out leaves nothing with the views (it would stay until they got there).
    const gaveUp = new CloseSignal();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp.close();
        const behind = pending.filter(([view, position]) => !reflects(view, position));
        const position = behind.reduce((max, [, p]) => (p > max ? p : max), 0n);
        reject(
          new ProjectionTimeoutError(
            position,
            timeoutMs,
            behind.map(([view]) => view.name),
          ),
        );
      }, timeoutMs);
    });
    const reached = Promise.all(pending.map(([view, position]) => view.reached(position, gaveUp)));
    return Promise.race([reached, timeout]).then(
      () => clearTimeout(timer),
      (error: unknown) => {
        clearTimeout(timer);
        throw error;
      },
    );
  }
}

function reflects(view: WatchedView, position: bigint): boolean {
  return view.position !== undefined && view.position >= position;
}
