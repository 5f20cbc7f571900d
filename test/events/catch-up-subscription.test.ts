import { describe, expect, it } from 'vitest';
import { catchUpSubscription } from '../../src/events/catch-up-subscription.js';
import { ChangeSignal } from '../../src/events/change-signal.js';
import type { RecordedEvent } from '../../src/events/types.js';

const event = (position: bigint): RecordedEvent => ({
  id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
  stream: 's',
  revision: Number(position),
  position,
  type: 'Matching',
  data: {},
  metadata: { correlationId: 'c', causationId: 'c', author: 'n', occurredAt: '', schemaVersion: 1 },
  recordedAt: '',
});

describe('catch-up subscription over a filtered source', () => {
  it('starts the next read at the head it saw, not after the last match (no rescans)', async () => {
    const signal = new ChangeSignal();
    const reads: (bigint | undefined)[] = [];
    let head = 500n;
    const log = [event(7n)];
    const subscription = catchUpSubscription<bigint>(
      {
        signal,
        cursorOf: (e) => e.position,
        head: () => head,
        readAfter: async (after, limit) => {
          reads.push(after);
          return log.filter((e) => after === undefined || e.position > after).slice(0, limit);
        },
      },
      undefined,
    );
    const iterator = subscription[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.position).toBe(7n);
    const next = iterator.next();
    // A non-matching append elsewhere moved the head; then a matching one arrives.
    head = 900n;
    signal.notify();
    log.push(event(901n));
    head = 901n;
    signal.notify();
    expect((await next).value?.position).toBe(901n);
    expect(reads[0]).toBeUndefined();
    expect(reads[1]).toBe(500n);
    expect(reads.slice(2).every((cursor) => cursor !== undefined && cursor >= 900n)).toBe(true);
    await subscription.close();
  });
});
