import type { CloseSignal } from '../close-signal.js';
import { StoreUnavailableError } from '../errors.js';

/** Default time a KurrentDB call may take before it fails as unavailable (ms). */
export const DEFAULT_DEADLINE_MS = 10_000;

/**
 * Settles with `work`, or fails with StoreUnavailableError once `ms` have passed: no call waits on an
 * unreachable or silent server for ever. A late result of `work` is dropped (and never unhandled).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`no answer from KurrentDB within ${ms} ms (${what})`)),
      ms,
    );
  });
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms`, or as soon as `until` (if given) closes. */
export function pause(ms: number, until?: CloseSignal): Promise<void> {
  return new Promise((resolve) => {
    // The timer fires after `forget` is set; a closed `until` calls back at once, after `timer` is.
    const timer = setTimeout(() => {
      forget?.();
      resolve();
    }, ms);
    const forget = until?.onClose(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
