import { StoreUnavailableError } from '../errors.js';
import { pause, withDeadline } from './deadline.js';
import { isTransient } from './error-mapping.js';

const RETRY_PAUSE_MS = 25;
const MAX_RETRY_PAUSE_MS = 500;

/**
 * One call to the server, tried again while it fails for want of a server (unreachable, connection
 * dropped, leader changed) until `deadlineMs` have passed, then failed as StoreUnavailableError; at once
 * when `closed()`. Each attempt gets the time left, and attempts back off from 25 ms to 500 ms. Only
 * for calls safe to repeat.
 */
export async function retryingCall<T>(
  what: string,
  deadlineMs: number,
  closed: () => boolean,
  work: (remainingMs: number, attempt: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || closed()) {
      throw new StoreUnavailableError(
        closed() ? 'the store is closed' : `no answer from KurrentDB within ${deadlineMs} ms (${what})`,
        { cause: lastError },
      );
    }
    try {
      return await withDeadline(work(remaining, attempt), remaining, what);
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastError = error;
      await pause(Math.min(RETRY_PAUSE_MS * 2 ** attempt, MAX_RETRY_PAUSE_MS, remaining));
    }
  }
}
