interface Item {
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * One actor's mailbox: work items run one at a time in arrival order; a failed item does not block
 * the ones behind it. An item sent to an empty mailbox starts at once; the others wait in a queue, so
 * a command costs one promise whatever the traffic.
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
    return new Promise<T>((resolve, reject) => {
      const item = { work, resolve, reject } as Item;
      if (this.#running) this.#queue.push(item);
      else this.#start(item);
    });
  }

  #start(item: Item): void {
    this.#running = true;
    let result: Promise<unknown>;
    try {
      result = item.work();
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => this.#finish(item.resolve, value),
      (error: unknown) => this.#finish(item.reject, error),
    );
  }

  #finish(settle: (outcome: unknown) => void, outcome: unknown): void {
    this.#pending--;
    const next = this.#queue.shift();
    if (next) this.#start(next);
    else this.#running = false;
    settle(outcome);
  }
}
