interface Item {
  work: () => Promise<unknown>;
  resolve: (value: Promise<unknown>) => void;
}

/**
 * One actor's mailbox: work items run one at a time in arrival order; a failed item does not block
 * the ones behind it. An item sent to an empty mailbox starts at once and its own promise is returned;
 * the others wait in a queue.
 */
export class Mailbox {
  readonly #queue: Item[] = [];
  #running = false;
  #pending = 0;

  get pending(): number {
    return this.#pending;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++;
    if (!this.#running) return this.#start(work);
    return new Promise<T>((resolve) => {
      this.#queue.push({ work, resolve: resolve as Item['resolve'] });
    });
  }

  #start<T>(work: () => Promise<T>): Promise<T> {
    this.#running = true;
    let result: Promise<T>;
    try {
      result = work();
    } catch (error) {
      result = Promise.reject(error);
    }
    // Registered before the caller's own reaction: the next item starts before the caller goes on.
    result.then(this.#next, this.#next);
    return result;
  }

  readonly #next = (): void => {
    this.#pending--;
    const item = this.#queue.shift();
    if (item) item.resolve(this.#start(item.work));
    else this.#running = false;
  };
}
