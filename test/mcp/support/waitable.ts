/**
 * Items arriving asynchronously (notifications, HTTP requests, outcomes) that a test waits on by
 * condition: `next(predicate)` resolves with the first item, past or future, that matches. The
 * timeout only turns a hang into a failure; nothing sleeps.
 */
export class Waitable<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<{ test: (item: T) => boolean; resolve: (item: T) => void }>();

  push(item: T): void {
    this.items.push(item);
    for (const waiter of this.#waiters) {
      if (waiter.test(item)) {
        this.#waiters.delete(waiter);
        waiter.resolve(item);
      }
    }
  }

  /** The first item matching `test`, already received or still to come. */
  next(test: (item: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const seen = this.items.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`nothing matching arrived within ${timeoutMs} ms (got ${this.items.length} item(s))`),
        );
      }, timeoutMs);
      const waiter = {
        test,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits until `count` items match `test`; returns them. */
  async count(count: number, test: (item: T) => boolean = () => true, timeoutMs = 5000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.items.filter(test);
      if (matching.length >= count) return matching;
      const before = this.items.length;
      await this.next((_item) => this.items.length > before, Math.max(1, deadline - Date.now()));
    }
  }
}
