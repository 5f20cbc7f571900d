import type { EffectOutbox, StagedEffect } from './effect-outbox.js';

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
 * waits for everything in flight (shutdown, tests). With an outbox, effects are staged before their
 * events are appended and recovered after a crash.
 */
export class EffectRunner {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly handlers: Readonly<Record<string, EffectHandler>>,
    private readonly onFailure: (failure: EffectFailure) => void,
    private readonly outbox?: EffectOutbox,
    private readonly backoffMs = 50,
  ) {}

  /** Keeps the effects that have a handler and records them durably before their events are appended. */
  stage(effects: readonly StagedEffect[]): StagedEffect[] {
    const handled = effects.filter((effect) => this.handlers[effect.type]);
    if (handled.length > 0) this.outbox?.stage(handled);
    return handled;
  }

  /** Forgets staged effects whose events were not appended. */
  discard(effects: readonly StagedEffect[]): void {
    if (effects.length > 0) this.outbox?.remove(effects.map((effect) => effect.idempotencyKey));
  }

  run(effect: Effect): void {
    const handler = this.handlers[effect.type];
    if (!handler) return;
    const running = this.#attempt(handler, effect)
      .then(() => this.outbox?.remove([effect.idempotencyKey]))
      .finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  /** Runs again what a crash interrupted: staged effects whose event exists; drops the others. */
  async recover(eventExists: (stream: string, revision: number) => Promise<boolean>): Promise<number> {
    let recovered = 0;
    for (const effect of this.outbox?.pending() ?? []) {
      if (await eventExists(effect.stream, effect.revision)) {
        this.run(effect);
        recovered++;
      } else {
        this.discard([effect]);
      }
    }
    return recovered;
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
