/** What the limiter decided for one message or request. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimitOptions {
  /** Tokens added per second: the sustained rate. */
  ratePerSecond: number;
  /** Bucket size: how many may come at once after a quiet spell. */
  burst: number;
  /** Milliseconds since some epoch (default `performance.now`). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets, one per key (an MCP session, or a client address before it has a session). Each
 * message takes one token; an empty bucket says how long until there is one again. Buckets that
 * have refilled completely carry no information and are dropped, so idle keys cost nothing.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;

  constructor(options: RateLimitOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('rate limit needs ratePerSecond > 0 and burst >= 1');
    }
    this.#rate = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes `cost` tokens from the key's bucket, or says when to retry (nothing is taken then). */
  take(key: string, cost = 1): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, updatedAt: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.updatedAt) * this.#rate);
    bucket.updatedAt = now;
    // A request larger than the bucket could never pass: charge it the whole bucket instead.
    const charge = Math.min(cost, this.#burst);
    if (bucket.tokens >= charge) {
      bucket.tokens -= charge;
      this.#buckets.set(key, bucket);
      this.#sweepSometimes(now);
      return { allowed: true };
    }
    this.#buckets.set(key, bucket);
    return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((charge - bucket.tokens) / this.#rate)) };
  }

  /** Forgets a key (its session ended). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #lastSweep = 0;

  #sweepSometimes(now: number): void {
    const fullAfterMs = this.#burst / this.#rate;
    if (now - this.#lastSweep < fullAfterMs) return;
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.#rate >= this.#burst) this.#buckets.delete(key);
    }
  }
}

/** Seconds for a Retry-After header: whole seconds, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
