import type { JsonValue } from '../events/json.js';
import type { TaskUsageData } from './llm-events.js';

/** How a task's LLM call ended, as reported to the agent. */
export type TaskOutcome =
  | {
      status: 'completed';
      agentId: string;
      taskId: string;
      result: JsonValue;
      usage: TaskUsageData;
      /** Why the cost is unknown, when it is. */
      costWarning: string | null;
    }
  | { status: 'failed'; agentId: string; taskId: string; code: string; reason: string };

/** Cancellations asked for before the call started, kept at most this many. */
const MAX_EARLY_CANCELLATIONS = 10_000;

/**
 * The calls of this process in flight, by agent and task: lets a tool cancel a task's HTTP request
 * (MCP cancellation) and wait for a task's outcome. Purely in memory: nothing here is replayed.
 */
export class TaskCalls {
  readonly #running = new Map<string, AbortController>();
  readonly #early = new Map<string, string>();
  readonly #waiters = new Map<string, Set<(outcome: TaskOutcome) => void>>();

  /** A call starts: its signal aborts on cancel (at once if a cancel came first). */
  begin(agentId: string, taskId: string): AbortSignal {
    const key = keyOf(agentId, taskId);
    const controller = new AbortController();
    const early = this.#early.get(key);
    if (early !== undefined) {
      this.#early.delete(key);
      controller.abort(new Error(early));
    }
    this.#running.set(key, controller);
    return controller.signal;
  }

  end(agentId: string, taskId: string): void {
    this.#running.delete(keyOf(agentId, taskId));
  }

  /** Aborts the task's call (or the call it is about to make). */
  cancel(agentId: string, taskId: string, reason = 'cancelled by the client'): void {
    const key = keyOf(agentId, taskId);
    const running = this.#running.get(key);
    if (running) {
      running.abort(new Error(reason));
      return;
    }
    if (this.#early.size >= MAX_EARLY_CANCELLATIONS) {
      const oldest = this.#early.keys().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
    this.#early.set(key, reason);
  }

  /** Forgets an early cancellation that will not be needed (the task ended another way). */
  forget(agentId: string, taskId: string): void {
    this.#early.delete(keyOf(agentId, taskId));
  }

  /** Resolves with the task's outcome once this process reports it; rejects when `signal` aborts. */
  wait(agentId: string, taskId: string, signal?: AbortSignal): Promise<TaskOutcome> {
    const key = keyOf(agentId, taskId);
    return new Promise((resolve, reject) => {
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters);
      const done = (outcome: TaskOutcome) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(key);
        reject(signal!.reason);
      };
      waiters.add(done);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Reports an outcome to whoever waits for it. */
  settle(outcome: TaskOutcome): void {
    const key = keyOf(outcome.agentId, outcome.taskId);
    const waiters = this.#waiters.get(key);
    this.#waiters.delete(key);
    for (const waiter of waiters ?? []) waiter(outcome);
  }
}

function keyOf(agentId: string, taskId: string): string {
  return `${agentId}\u0000${taskId}`;
}
