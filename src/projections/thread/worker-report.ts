import type { ProjectionStatus } from '../projection-view.js';
import type { BatchFlow } from './forwarded-events.js';
import { type FromWorker, MAX_BATCHES_IN_FLIGHT } from './protocol.js';

/**
 * What the projection worker tells the main thread: the batches it consumed and the views whose status
 * changed, in one message per batch applied. A change is reported on the next turn of the event loop
 * (every view of a batch commits in the same turn). Acknowledgements ride along; they are sent on their
 * own only when the main thread may be waiting for one (as many batches unacknowledged as it may send).
 */
export class WorkerReport implements BatchFlow {
  readonly #acks = new Map<number, number>();
  /** Per subscription, batches received and not acknowledged yet. */
  readonly #unacked = new Map<number, number>();
  readonly #changed = new Map<string, () => ProjectionStatus>();
  /** The status last reported per view: a change that changes nothing is not sent. */
  readonly #reported = new Map<string, ProjectionStatus>();
  #scheduled = false;

  constructor(private readonly post: (message: FromWorker) => void) {}

  received(id: number): void {
    this.#unacked.set(id, (this.#unacked.get(id) ?? 0) + 1);
  }

  /** The views' loop took a batch of subscription `id`. */
  consumed(id: number): void {
    this.#acks.set(id, (this.#acks.get(id) ?? 0) + 1);
    if ((this.#unacked.get(id) ?? 0) >= MAX_BATCHES_IN_FLIGHT) this.#schedule();
  }

  /** The subscription is closed: nothing more of it to acknowledge. */
  forget(id: number): void {
    this.#acks.delete(id);
    this.#unacked.delete(id);
  }

  changed(name: string, status: () => ProjectionStatus): void {
    this.#changed.set(name, status);
    this.#schedule();
  }

  /** Sends what there is to report now. */
  flush(): void {
    const statuses: ProjectionStatus[] = [];
    for (const [name, status] of this.#changed) {
      const now = status();
      if (sameStatus(now, this.#reported.get(name))) continue;
      this.#reported.set(name, now);
      statuses.push(now);
    }
    this.#changed.clear();
    if (statuses.length === 0 && this.#acks.size === 0) return;
    const acks = [...this.#acks];
    for (const [id, batches] of acks) this.#unacked.set(id, (this.#unacked.get(id) ?? 0) - batches);
    this.#acks.clear();
    this.post({ type: 'report', acks, statuses });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}

function sameStatus(a: ProjectionStatus, b: ProjectionStatus | undefined): boolean {
  return (
    b !== undefined &&
    a.state === b.state &&
    a.position === b.position &&
    a.events === b.events &&
    a.lastRecordedAt === b.lastRecordedAt &&
    a.error === b.error
  );
}
