import { describe, expect, it } from 'vitest';
import { ChangeSignal } from '../../src/events/change-signal.js';
import { CLOSED, CloseSignal } from '../../src/events/close-signal.js';
import { catchUpSubscription } from '../../src/events/catch-up-subscription.js';
import { pause } from '../../src/events/kurrentdb/deadline.js';
import type { RecordedEvent } from '../../src/events/types.js';

/**
 * Waits raced against a long-lived close leave nothing behind once they end. Before CloseSignal, each
 * wait of a store follower added a reaction to its pending `closing` promise, kept until the follower
 * closed: 2,647 bytes per commit with four followers on the embedded store.
 */
describe('CloseSignal', () => {
  it('race answers the work and keeps no listener once it settles', async () => {
    const closing = new CloseSignal();
    for (let i = 0; i < 1000; i++) expect(await closing.race(Promise.resolve(i))).toBe(i);
    await expect(closing.race(Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(closing.listening).toBe(0);
  });

  it('race answers CLOSED when the signal closes first, and at once when it is closed already', async () => {
    const closing = new CloseSignal();
    const never = new Promise<never>(() => {});
    const raced = closing.race(never);
    expect(closing.listening).toBe(1);
    closing.close();
    expect(await raced).toBe(CLOSED);
    expect(await closing.race(never)).toBe(CLOSED);
    expect(closing.listening).toBe(0);
  });

  it('calls each close listener once, and a listener added after the close at once', () => {
    const closing = new CloseSignal();
    const calls: string[] = [];
    closing.onClose(() => calls.push('first'));
    const forget = closing.onClose(() => calls.push('forgotten'));
    forget();
    closing.close();
    closing.close();
    closing.onClose(() => calls.push('late'));
    expect(calls).toEqual(['first', 'late']);
    expect(closing.closed).toBe(true);
  });

  it('a change-signal wait leaves nothing registered with the other side, however it ends', async () => {
    const signal = new ChangeSignal();
    const closing = new CloseSignal();
    for (let i = 0; i < 1000; i++) {
      const waited = signal.wait(signal.version, closing);
      signal.notify();
      await waited;
    }
    expect(closing.listening).toBe(0);
    const waited = signal.wait(signal.version, closing);
    expect(signal.waiting).toBe(1);
    closing.close();
    await waited;
    expect(signal.waiting).toBe(0);
  });

  it('pause ends early on close, and at once on a closed signal', async () => {
    const closing = new CloseSignal();
    const paused = pause(60_000, closing);
    closing.close();
    await paused;
    await pause(60_000, closing);
    expect(closing.listening).toBe(0);
  });
});

describe('a store follower over many commits', () => {
  it('waits on the change signal without piling anything up', async () => {
    const signal = new ChangeSignal();
    const log: RecordedEvent[] = [];
    const subscription = catchUpSubscription<bigint>(
      {
        signal,
        cursorOf: (e) => e.position,
        head: () => BigInt(log.length),
        readAfter: async (after, limit) =>
          log.filter((e) => after === undefined || e.position > after).slice(0, limit),
      },
      undefined,
    );
    const iterator = subscription[Symbol.asyncIterator]();
    for (let i = 1; i <= 500; i++) {
      const next = iterator.next();
      log.push(recorded(BigInt(i)));
      signal.notify();
      expect((await next).value?.position).toBe(BigInt(i));
    }
    // One wait in flight at most: the follower's own, for the next commit.
    expect(signal.waiting).toBeLessThanOrEqual(1);
    await subscription.close();
    expect(signal.waiting).toBe(0);
  });
});

function recorded(position: bigint): RecordedEvent {
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    stream: 's',
    revision: Number(position) - 1,
    position,
    type: 'E',
    data: {},
    metadata: { correlationId: 'c', causationId: 'c', author: 'n', occurredAt: '', schemaVersion: 1 },
    recordedAt: '',
  };
}
