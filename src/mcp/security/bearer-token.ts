import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError, MIN_TOKEN_LENGTH } from '../../config/config.js';

/** Whether an address or name only ever reaches this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || /^::ffff:127\./.test(lower);
  return false;
}

/**
 * Refuses to serve beyond loopback without a token: anyone who can reach the port could otherwise
 * drive the agents. A one-line ConfigError that names BZZZ_TOKEN (and never shows a token).
 */
export function requireTokenBeyondLoopback(host: string, token: string | undefined): void {
  if (token !== undefined || isLoopbackHost(host)) return;
  throw new ConfigError(
    'BZZZ_TOKEN',
    '',
    `required when bzzz listens on ${host}, beyond loopback: set a bearer token of at least ${MIN_TOKEN_LENGTH} characters (or listen on 127.0.0.1)`,
    { secret: true },
  );
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the expected token in constant time (both sides are
 * hashed first, so neither the content nor the length leaks through timing).
 */
export class BearerToken {
  readonly #expected: Buffer;

  constructor(token: string) {
    this.#expected = digest(token);
  }

  /** Whether the request carries the token. */
  accepts(headers: IncomingHttpHeaders): boolean {
    const presented = bearerOf(headers.authorization);
    // Compare even when absent, so a missing header takes the same time as a wrong one.
    const ok = timingSafeEqual(digest(presented ?? ''), this.#expected);
    return presented !== undefined && ok;
  }

  /** Never shows the token (e.g. when a config object is logged). */
  toJSON(): string {
    return '[redacted]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'BearerToken [redacted]';
  }
}

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
  return match?.[1];
}
