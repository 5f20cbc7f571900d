/**
 * One actor's mailbox: work items run one at a time in arrival order; a failed item does not block
 * the ones behind it.
 */
export class Mailbox {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  get pending(): number {
    return this.#pending;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(work);
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }
}
