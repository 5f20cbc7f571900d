import type { CloseSignal } from '../events/close-signal.js';
import type { ProjectionStatus } from './projection-view.js';

/** Where a view stands, as the waits for it see it. */
export interface ViewStanding {
  readonly name: string;
  readonly position: bigint | undefined;
  readonly state: ProjectionStatus['state'];
  readonly error: string | undefined;
}

/**
 * The waits for one view to reach a position, and whoever watches it: the view calls {@link notify}
 * whenever where it stands changes. Shared by the views of this thread (projection-view.ts) and the
 * main thread's mirrors of the views of a projection worker (view-mirror.ts).
 */
export class ViewWaiters {
  readonly #waiters = new Set<() => void>();

  constructor(private readonly view: ViewStanding) {}

  /** Waits and watchers registered now: what tests look at. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves once the view reflects `position`; rejects if it fails or stops first. When `until` closes
   * first (the waiter gave up: a timeout), the wait is dropped and never settles.
   */
  reached(position: bigint, until?: CloseSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let forget = () => {};
      const check = () => {
        const view = this.view;
        if (view.position !== undefined && view.position >= position) resolve();
        else if (view.state === 'failed' || view.state === 'stopped') {
          reject(new Error(`projection ${view.name} is ${view.state}${view.error ? `: ${view.error}` : ''}`));
        } else return;
        this.#waiters.delete(check);
        forget();
      };
      this.#waiters.add(check);
      if (until) forget = until.onClose(() => this.#waiters.delete(check));
      check();
    });
  }

  /** Calls `listener` after every change of the view, until the returned function is called. */
  observe(listener: () => void): () => void {
    const watch = () => listener();
    this.#waiters.add(watch);
    return () => this.#waiters.delete(watch);
  }

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
