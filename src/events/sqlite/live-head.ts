/**
 * The last position of the log as live subscription reads need it, without a query per read: exact
 * after each of this connection's commits (its rows took the next row ids, after everything committed
 * before), or as last read; forgotten whenever another connection may have committed (the store's
 * data_version poll) or a write other than an append ran, and read again on next use. A head that
 * lags behind another connection's commit for a moment only delays those events until the poll
 * notices them, as it always did: reads never go past the head they are given.
 */
export class LiveHead {
  /** null: unknown, read on next use; undefined: the log is empty. */
  #head: bigint | undefined | null = null;

  constructor(private readonly read: () => bigint | undefined) {}

  get(): bigint | undefined {
    if (this.#head === null) this.#head = this.read();
    return this.#head;
  }

  /** This connection committed rows up to `last`: nothing else can be after them. */
  committed(last: bigint): void {
    this.#head = last;
  }

  forget(): void {
    this.#head = null;
  }
}
