import { describe, expect, it } from 'vitest';
import type { CloseSignal } from '../../src/events/close-signal.js';
import type { ProjectionStatus } from '../../src/projections/projection-view.js';
import { ReadYourWrites, type WatchedView } from '../../src/projections/read-your-writes.js';
import { ViewWaiters } from '../../src/projections/view-waiters.js';

/** A view that stands where the test puts it, with the real waits of a view. */
class ManualView implements WatchedView {
  readonly name = 'manual';
  position: bigint | undefined = 1n;
  state: ProjectionStatus['state'] = 'running';
  error: string | undefined = undefined;
  readonly waiters = new ViewWaiters(this);

  reads(): boolean {
    return true;
  }

  reached(position: bigint, until?: CloseSignal): Promise<void> {
    return this.waiters.reached(position, until);
  }

  moveTo(position: bigint): void {
    this.position = position;
    this.waiters.notify();
  }

  status(): ProjectionStatus {
    const { name, state, position } = this;
    return { name, version: 1, state, position, events: 0, lastRecordedAt: undefined };
  }
}

describe('read-your-writes waits', () => {
  it('leave nothing with a lagging view once they time out', async () => {
    const view = new ManualView();
    const waits = new ReadYourWrites(new Map([[view.name, view]]));
    for (let i = 0; i < 100; i++) {
      await expect(waits.waitFor(1000n, 1)).rejects.toMatchObject({ code: 'PROJECTION_TIMEOUT' });
    }
    // Before, each timed-out query stayed registered (and was checked on every change of the view)
    // until the view reached its position.
    expect(view.waiters.waiting).toBe(0);
  });

  it('still resolve when the view gets there in time, and fail with the view', async () => {
    const view = new ManualView();
    const waits = new ReadYourWrites(new Map([[view.name, view]]));
    const reached = waits.waitFor(5n, 60_000);
    expect(view.waiters.waiting).toBe(1);
    view.moveTo(5n);
    await reached;
    expect(view.waiters.waiting).toBe(0);
    const failing = waits.waitFor(9n, 60_000);
    view.state = 'failed';
    view.error = 'boom';
    view.waiters.notify();
    await expect(failing).rejects.toThrow('projection manual is failed: boom');
    expect(view.waiters.waiting).toBe(0);
  });
});
