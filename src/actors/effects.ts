/** An effect to run after an append: an XState action the machine returned, with its idempotency key. */
export interface Effect {
  type: string;
  params: unknown;
  category: string;
  actorId: string;
  stream: string;
  /** Stable across retries and re-runs: `<stream>@<revision>#<index>`. Handlers dedupe on it. */
  idempotencyKey: string;
}

/**
 * Runs one effect kind (an LLM call, a gossip publish, a webhook…). It reports its outcome by sending
 * a command to an actor, so the outcome is itself an appended event.
 */
export type EffectHandler = (effect: Effect) => Promise<void>;

export interface EffectFailure {
  effect: Effect;
  error: unknown;
  attempts: number;
}

/** Retries of a failing effect before it is reported as failed. */
export const EFFECT_ATTEMPTS = 4;

/**
 * Runs effects detached from the command that caused them, retrying failures with backoff; `settled`
 * waits for everything in flight (shutdown, tests).
 */
export class EffectRunner {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly handlers: Readonly<Record<string, EffectHandler>>,
    private readonly onFailure: (failure: EffectFailure) => void,
    private readonly backoffMs = 50,
  ) {}

  run(effect: Effect): void {
    const handler = this.handlers[effect.type];
    if (!handler) return;
    const running = this.#attempt(handler, effect).finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #attempt(handler: EffectHandler, effect: Effect): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(effect);
        return;
      } catch (error) {
        if (attempt >= EFFECT_ATTEMPTS) {
          this.onFailure({ effect, error, attempts: attempt });
          return;
        }
        await new Promise<void>((resolve) =>
          setTimeout(resolve, this.backoffMs * 2 ** (attempt - 1)).unref(),
        );
      }
    }
  }
}
