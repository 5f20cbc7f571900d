import type { CloseSignal } from '../../events/close-signal.js';
import type { Checkpoint } from '../checkpoint-store.js';
import { type ProjectionDefinition, readsAnyOf } from '../projection.js';
import type { ProjectionStatus } from '../projection-view.js';
import type { WatchedView } from '../read-your-writes.js';
import { ViewWaiters } from '../view-waiters.js';

/**
 * The main thread's copy of where a view run by the projection worker stands, as the worker last
 * reported it; what the read-your-writes waits of this thread watch. Until the first report it stands
 * where its stored checkpoint says.
 */
export class ViewMirror implements WatchedView {
  readonly #types: ReadonlySet<string> | undefined;
  readonly #waiters = new ViewWaiters(this);
  #status: ProjectionStatus;

  constructor(definition: ProjectionDefinition, stored: Checkpoint | undefined) {
    this.#types = definition.eventTypes && new Set(definition.eventTypes);
    const current = stored?.version === definition.version ? stored : undefined;
    this.#status = {
      name: definition.name,
      version: definition.version,
      state: 'starting',
      position: current?.position,
      events: current?.events ?? 0,
      lastRecordedAt: undefined,
    };
  }

  get name(): string {
    return this.#status.name;
  }

  get position(): bigint | undefined {
    return this.#status.position;
  }

  get state(): ProjectionStatus['state'] {
    return this.#status.state;
  }

  get error(): string | undefined {
    return this.#status.error;
  }

  reads(eventTypes: readonly string[]): boolean {
    return readsAnyOf(this.#types, eventTypes);
  }

  reached(position: bigint, until?: CloseSignal): Promise<void> {
    return this.#waiters.reached(position, until);
  }

  status(): ProjectionStatus {
    return { ...this.#status };
  }

  /** The worker reported the view. */
  update(status: ProjectionStatus): void {
    this.#status = status;
    this.#waiters.notify();
  }

  /** The worker is gone, having stopped the view as asked. */
  halt(): void {
    if (this.#status.state === 'running' || this.#status.state === 'starting') {
      this.#status = { ...this.#status, state: 'stopped' };
    }
    this.#waiters.notify();
  }

  /** The worker is gone unasked: the view is no longer followed, and why. */
  fail(reason: string): void {
    if (this.#status.state !== 'failed') this.#status = { ...this.#status, state: 'failed', error: reason };
    this.#waiters.notify();
  }
}
