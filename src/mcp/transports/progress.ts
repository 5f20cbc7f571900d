import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ProgressToken, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { BzzzError } from '../../errors.js';

/** The second argument of a tool handler: `registerTool(name, config, (args, extra) => …)`. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A call the client cancelled (`notifications/cancelled`) or whose session ended. */
export class CallCancelledError extends BzzzError {
  constructor(reason?: unknown) {
    super('CANCELLED', 'the call was cancelled', reason === undefined ? {} : { reason: String(reason) });
  }
}

export interface ProgressOptions {
  /** Reports closer together than this are dropped, except the final one (default 100 ms). */
  minIntervalMs?: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

/**
 * Progress and cancellation for one tool call. Progress goes out as `notifications/progress` only
 * when the client sent a `progressToken` in the request's `_meta`; otherwise `report` does nothing.
 */
export interface CallProgress {
  /** Aborted when the client cancels the call or the session closes: pass it to anything that waits. */
  readonly signal: AbortSignal;
  /** Whether the client asked for progress. */
  readonly wanted: boolean;
  /**
   * Sends progress (must grow from report to report; a value not above the last one is skipped).
   * Never throws: a notification that cannot be sent does not fail the call.
   */
  report(progress: number, total?: number, message?: string): Promise<void>;
  /** Throws {@link CallCancelledError} when the call was cancelled. */
  throwIfCancelled(): void;
  /** Resolves or rejects with `work`, or rejects with {@link CallCancelledError} as soon as the call is cancelled. */
  untilCancelled<T>(work: Promise<T>): Promise<T>;
  /**
   * While a long wait has no measurable progress: a growing count every `intervalMs`, so clients with
   * `resetTimeoutOnProgress` keep waiting. Returns the function that stops it.
   */
  heartbeat(intervalMs: number, message?: string): () => void;
}

/** The progress and cancellation handle of a tool call; see {@link CallProgress}. */
export function callProgress(extra: ToolExtra, options: ProgressOptions = {}): CallProgress {
  const token: ProgressToken | undefined = extra._meta?.progressToken;
  const signal = extra.signal;
  const now = options.now ?? (() => Date.now());
  const minIntervalMs = options.minIntervalMs ?? 100;
  let last: number | undefined;
  let lastSentAt = -Infinity;

  const cancelled = () => new CallCancelledError(signal.reason);

  const report = async (progress: number, total?: number, message?: string): Promise<void> => {
    if (token === undefined || signal.aborted || !Number.isFinite(progress)) return;
    if (last !== undefined && progress <= last) return;
    const final = total !== undefined && progress >= total;
    const at = now();
    if (!final && at - lastSentAt < minIntervalMs) return;
    last = progress;
    lastSentAt = at;
    try {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress,
          ...(total !== undefined && Number.isFinite(total) ? { total } : {}),
          ...(message !== undefined ? { message } : {}),
        },
      });
    } catch {
      // The client went away or the transport is closing: the call's own answer tells the rest.
    }
  };

  return {
    signal,
    wanted: token !== undefined,
    report,
    throwIfCancelled() {
      if (signal.aborted) throw cancelled();
    },
    untilCancelled<T>(work: Promise<T>): Promise<T> {
      if (signal.aborted) return Promise.reject(cancelled());
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(cancelled());
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        );
      });
    },
    heartbeat(intervalMs: number, message?: string): () => void {
      if (token === undefined) return () => {};
      const timer = setInterval(() => {
        void report((last ?? 0) + 1, undefined, message);
      }, intervalMs);
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        signal.removeEventListener('abort', stop);
      };
      signal.addEventListener('abort', stop, { once: true });
      return stop;
    },
  };
}
