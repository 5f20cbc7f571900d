import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import type { NodeIdentity } from '../../identity/node-identity.js';

/** Hosts webhooks may target unless the operator says otherwise: this machine only. */
export const DEFAULT_WEBHOOK_ALLOWLIST: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

export const SIGNATURE_HEADER = 'X-Bzzz-Signature';
export const EVENT_ID_HEADER = 'X-Bzzz-Event-Id';
export const EVENT_TYPE_HEADER = 'X-Bzzz-Event-Type';
export const SUBSCRIPTION_ID_HEADER = 'X-Bzzz-Subscription-Id';
export const ATTEMPT_HEADER = 'X-Bzzz-Delivery-Attempt';

/**
 * Why a webhook URL may not be used, or undefined. Allowed: absolute http(s) URLs without credentials
 * (the URL is recorded in the subscription's events, and secrets never are) whose host is on the
 * allowlist. Entries are host names or IP addresses, `*.example.com` for a domain's subdomains, or `*`
 * for any host.
 */
export function webhookUrlProblem(value: string, allowlist: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `scheme ${url.protocol} is not http or https`;
  if (url.username !== '' || url.password !== '')
    return 'credentials in a webhook URL would be recorded in events';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const allowed = allowlist.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
  return allowed ? undefined : `host ${host} is not on the webhook allowlist (${allowlist.join(', ')})`;
}

/** INVALID_PARAMETERS unless the URL may be used (see {@link webhookUrlProblem}). */
export function requireAllowedWebhook(value: string, allowlist: readonly string[]): void {
  const problem = webhookUrlProblem(value, allowlist);
  if (problem !== undefined) {
    throw new DomainError(DomainErrorCode.InvalidParameters, `callback_webhook refused: ${problem}`, {
      parameter: 'callback_webhook',
      reason: problem,
    });
  }
}

/**
 * The node's webhook signing key: SHA-256 of the node key's Ed25519 signature over a fixed label.
 * Ed25519 signatures are deterministic, so the key is the same after every restart without being
 * stored anywhere; it changes only with the node key.
 */
export function webhookSigningKeyFromIdentity(identity: NodeIdentity): Uint8Array {
  const signature = identity.sign(new TextEncoder().encode('bzzz webhook signing key v1'));
  return new Uint8Array(createHash('sha256').update(signature).digest());
}

/**
 * A subscription's webhook secret: HMAC-SHA256(signing key, "bzzz-webhook-secret:v1:" + id), hex.
 * Derived, never stored: the subscription's events hold no secret, and the sender can sign again after
 * a restart.
 */
export function webhookSecret(signingKey: Uint8Array, subscriptionId: string): string {
  return createHmac('sha256', signingKey).update(`bzzz-webhook-secret:v1:${subscriptionId}`).digest('hex');
}

/** `sha256=<hex>`: HMAC-SHA256 keyed with the secret's UTF-8 bytes, over the raw request body. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute the signature over the raw body and compare in constant time. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
