/**
 * A cap on open MCP sessions, shared by the HTTP and WebSocket endpoints: every session holds one slot
 * from its start to its end, and a new one is refused (503) while all are taken.
 */
export class SessionSlots {
  #open = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('session cap must be a positive integer');
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a slot; false when every slot is taken. */
  acquire(): boolean {
    if (this.#open >= this.max) return false;
    this.#open++;
    return true;
  }

  release(): void {
    if (this.#open > 0) this.#open--;
  }
}

/** The refusal for a session over the cap. */
export const TOO_MANY_SESSIONS = {
  status: 503,
  code: 'TOO_MANY_SESSIONS',
  message: 'too many open MCP sessions; close one or retry later',
  headers: { 'retry-after': '5' },
};
