/** What {@link CloseSignal.race} answers when the signal closed first. */
export const CLOSED: unique symbol = Symbol('closed');

/**
 * A one-way "closed" flag that a loop can wait against, step after step, without leaving anything
 * behind. Racing each step against one long-lived pending promise (`Promise.race([step, closing])`,
 * `closing.then(wake)`) adds a reaction to that promise every time, and a pending promise keeps all of
 * them until it settles: about 200 bytes per step, for as long as the loop runs (a store follower
 * waits once per commit). Here a waiter is removed as soon as its wait ends either way.
 */
export class CloseSignal {
  #closed = false;
  readonly #listeners = new Set<() => void>();

  get closed(): boolean {
    return this.#closed;
  }

  /** Waits registered now (each is removed when it ends): what tests look at. */
  get listening(): number {
    return this.#listeners.size;
  }

  /** Closes for good and calls every listener registered; a second call does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Calls `listener` once on close (at once when closed already); returns what removes it. */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** `work`'s outcome, or CLOSED when the signal closes first. */
  race<T>(work: Promise<T>): Promise<T | typeof CLOSED> {
    return new Promise<T | typeof CLOSED>((resolve, reject) => {
      const forget = this.onClose(() => resolve(CLOSED));
      work.then(
        (value) => {
          forget();
          resolve(value);
        },
        (error: unknown) => {
          forget();
          reject(error);
        },
      );
    });
  }
}
