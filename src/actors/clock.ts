/** Time as the actor runtime sees it: real in production, simulated in tests of durable timers. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: number };

/** The wall clock; timers never hold the process open. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    // setTimeout takes at most 2^31-1 ms; longer deadlines re-arm when the timer fires early.
    const timeout = setTimeout(callback, Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    timeout.unref();
    return { id: Number(timeout[Symbol.toPrimitive]()), timeout } as TimerHandle;
  },
  clearTimer(handle) {
    clearTimeout((handle as TimerHandle & { timeout: NodeJS.Timeout }).timeout);
  },
};

/** A clock that moves only when told to; `advance` fires due timers in time order. */
export class SimulatedClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers)
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
    }
    this.#now = target;
  }
}
