import { InvalidArgumentError } from './errors.js';

const CONTROL_OR_SPACE = /[\s\p{Cc}]/u;
const MAX_NAME_LENGTH = 512;

/**
 * Stream names: non-empty, at most 512 characters, no whitespace or control characters, and no leading
 * `$` (reserved for the store's own streams, as in KurrentDB).
 */
export function assertStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidArgumentError('stream name must be a non-empty string');
  }
  if (stream.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`stream name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (stream.startsWith('$')) {
    throw new InvalidArgumentError(`stream name ${JSON.stringify(stream)} starts with $, which is reserved`);
  }
  if (CONTROL_OR_SPACE.test(stream)) {
    throw new InvalidArgumentError(
      `stream name ${JSON.stringify(stream)} contains whitespace or control characters`,
    );
  }
}

/** Why an event type is malformed (same rules as stream names, at most 256 characters), or undefined. */
export function whyBadEventType(type: unknown): string | undefined {
  if (typeof type !== 'string' || type.length === 0) return 'type must be a non-empty string';
  if (type.length > 256) return 'type is longer than 256 characters';
  if (type.startsWith('$')) return `type ${JSON.stringify(type)} starts with $, which is reserved`;
  if (CONTROL_OR_SPACE.test(type))
    return `type ${JSON.stringify(type)} contains whitespace or control characters`;
  return undefined;
}

export function assertRevision(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

export function assertMaxCount(value: unknown): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new InvalidArgumentError(`maxCount must be a non-negative integer, got ${String(value)}`);
  }
}
