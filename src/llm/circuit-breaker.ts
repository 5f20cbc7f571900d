import type { CircuitBreakerSettings } from './llm-config.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * A circuit breaker for one API endpoint. `closed`: calls go through; `failureThreshold` consecutive
 * failures open it. `open`: calls are refused without a request until `openMs` has passed; then it is
 * `half_open` and lets exactly one probe through: a success closes it, a failure opens it again.
 * Outcomes that say nothing about the server's health (a 400, a cancelled call) are `neutral`.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.settings.openMs) return 'half_open';
    return this.#state;
  }

  /** Ms until an open circuit lets a probe through (0 when calls may go now). */
  get retryInMs(): number {
    return this.#state === 'open' ? Math.max(0, this.#openedAt + this.settings.openMs - this.now()) : 0;
  }

  /** Whether a request may be sent now; in half-open state only the first caller gets to probe. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#probing) return false;
    this.#state = 'half_open';
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#probing = false;
  }

  failure(): void {
    this.#failures++;
    if (this.#state === 'half_open' || this.#failures >= this.settings.failureThreshold) {
      this.#state = 'open';
      this.#openedAt = this.now();
    }
    this.#probing = false;
  }

  /** The attempt ended without telling whether the server is healthy: releases a probe slot. */
  neutral(): void {
    this.#probing = false;
  }
}

/** One breaker per base URL, shared by every call to that URL. */
export class CircuitBreakers {
  readonly #byUrl = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  for(baseUrl: string): CircuitBreaker {
    let breaker = this.#byUrl.get(baseUrl);
    if (!breaker) {
      breaker = new CircuitBreaker(this.settings, this.now);
      this.#byUrl.set(baseUrl, breaker);
    }
    return breaker;
  }
}
