import type { BzzzEventPayload } from './notification.js';
import {
  ATTEMPT_HEADER,
  DEFAULT_WEBHOOK_ALLOWLIST,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  SUBSCRIPTION_ID_HEADER,
  signWebhookBody,
  webhookSecret,
  webhookUrlProblem,
} from './webhook-policy.js';

/** How webhooks are sent. */
export interface WebhookSettings {
  /** Key the per-subscription secrets are derived from (see webhookSigningKeyFromIdentity). */
  signingKey: Uint8Array;
  /** Hosts webhooks may target (default: loopback only). */
  allowlist: readonly string[];
  /** Tries per event before recording WebhookDeliveryFailed (default 5). */
  maxAttempts: number;
  /** Wait before the second try; doubles each time, with jitter (default 500 ms). */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Per request (default 10 s). */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: Omit<WebhookSettings, 'signingKey'> = {
  allowlist: DEFAULT_WEBHOOK_ALLOWLIST,
  maxAttempts: 5,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  timeoutMs: 10_000,
};

export type WebhookOutcome =
  | { delivered: true; attempts: number; status: number }
  | { delivered: false; attempts: number; reason: string; stopped: boolean };

/**
 * POSTs one event to a webhook: JSON body (the notification payload), signed with the subscription's
 * secret. 2xx is delivered; 408, 429, 5xx and network errors are retried with exponential backoff up to
 * `maxAttempts`; other statuses (redirects are not followed) fail at once. A URL no longer on the
 * allowlist fails without a request.
 */
export async function sendWebhook(
  url: string,
  payload: BzzzEventPayload,
  settings: WebhookSettings,
  signal: AbortSignal,
): Promise<WebhookOutcome> {
  const problem = webhookUrlProblem(url, settings.allowlist);
  if (problem !== undefined) return { delivered: false, attempts: 1, reason: problem, stopped: false };
  const body = JSON.stringify(payload);
  const signature = signWebhookBody(webhookSecret(settings.signingKey, payload.subscription_id), body);
  let reason = 'not attempted';
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    if (signal.aborted) return { delivered: false, attempts: attempt - 1, reason: 'stopped', stopped: true };
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'bzzz-webhook/1',
          [SIGNATURE_HEADER]: signature,
          [EVENT_ID_HEADER]: payload.event.id,
          [EVENT_TYPE_HEADER]: payload.event_type,
          [SUBSCRIPTION_ID_HEADER]: payload.subscription_id,
          [ATTEMPT_HEADER]: String(attempt),
        },
        signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => {});
      if (response.ok) return { delivered: true, attempts: attempt, status: response.status };
      reason = `HTTP ${response.status}`;
      if (!isRetryable(response.status)) {
        return { delivered: false, attempts: attempt, reason: `${reason} (not retried)`, stopped: false };
      }
    } catch (error) {
      if (signal.aborted) return { delivered: false, attempts: attempt, reason: 'stopped', stopped: true };
      reason = describe(error);
    }
    if (attempt < settings.maxAttempts) await sleep(backoff(settings, attempt), signal);
  }
  return { delivered: false, attempts: settings.maxAttempts, reason, stopped: false };
}

function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function backoff(settings: WebhookSettings, attempt: number): number {
  const base = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random() / 2));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (error.name === 'TimeoutError') return 'timed out';
  if (cause && typeof cause.code === 'string') return `${error.message} (${cause.code})`;
  return error.message;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
