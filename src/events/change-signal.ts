import type { CloseSignal } from './close-signal.js';

/**
 * A counter of "something was appended" with waiters: subscriptions read, and when they find nothing
 * new they wait for the counter to move past the value they read at. No polling, no lost wake-ups.
 */
export class ChangeSignal {
  #version = 0;
  readonly #waiters = new Set<() => void>();

  get version(): number {
    return this.#version;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  notify(): void {
    this.#version++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once the version differs from `seen`, or when `closing` closes; either way nothing of
   * the wait stays registered with the other.
   */
  wait(seen: number, closing: CloseSignal): Promise<void> {
    if (this.#version !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      let forget: () => void = () => {};
      const wake = () => {
        this.#waiters.delete(wake);
        forget();
        resolve();
      };
      this.#waiters.add(wake);
      forget = closing.onClose(wake);
    });
  }
}
