import { CANONICAL_EVENT_VERSION, canonicalEventBytes } from '../events/canonical-event.js';
import type { RecordedEvent } from '../events/types.js';
import { leafHash } from './rfc6962-hash.js';

const EVENT_KEYS = ['data', 'id', 'metadata', 'revision', 'stream', 'type', 'v'];

/**
 * Streams whose name starts with this prefix hold signed checkpoints (`audit-<nodeId>`). They are never
 * part of any trail: a checkpoint cannot cover itself, and checkpoints authenticate themselves by
 * their signature.
 */
export const AUDIT_STREAM_PREFIX = 'audit-';

/** The stream where node `trail` appends its signed checkpoints. */
export function checkpointStream(trail: string): string {
  return `${AUDIT_STREAM_PREFIX}${trail}`;
}

export function isAuditStream(stream: string): boolean {
  return stream.startsWith(AUDIT_STREAM_PREFIX);
}

/** The author recorded in an event's envelope, or undefined when the envelope is not an object. */
export function authorOf(event: Pick<RecordedEvent, 'metadata'>): string | undefined {
  const metadata = event.metadata as unknown;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined;
  const author = (metadata as { author?: unknown }).author;
  return typeof author === 'string' ? author : undefined;
}

/**
 * Whether an event belongs to the trail of node `trail`: authored by it (`metadata.author`) and not in
 * an `audit-` stream. The trail is these events in `$all` order; an event's trail index is its rank
 * among them.
 */
export function isTrailEvent(event: Pick<RecordedEvent, 'stream' | 'metadata'>, trail: string): boolean {
  return authorOf(event) === trail && !isAuditStream(event.stream);
}

/** RFC 6962 leaf hash of an event: SHA-256(0x00 ‖ canonical event bytes). */
export function eventLeafHash(
  event: Pick<RecordedEvent, 'id' | 'stream' | 'revision' | 'type' | 'data' | 'metadata'>,
): Uint8Array {
  return leafHash(canonicalEventBytes(event));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict lowercase-hex decoding: undefined unless `text` is exactly `length` bytes of lowercase hex. */
export function fromHex(text: unknown, length?: number): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'hex'));
  return length === undefined || bytes.length === length ? bytes : undefined;
}

/** Strict standard base64 (RFC 4648 §4, with padding) decoding; undefined when malformed. */
export function fromBase64(text: unknown, length?: number): Uint8Array | undefined {
  if (
    typeof text !== 'string' ||
    !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
  )
    return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Reject non-canonical encodings (stray bits in the last character), so each byte string has one form.
  if (Buffer.from(bytes).toString('base64') !== text) return undefined;
  return length === undefined || bytes.length === length ? bytes : undefined;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The event the canonical bytes encode (not checked: see whyNotTrailEvent), or undefined if not JSON. */
export function decodeEvent(bytes: Uint8Array): RecordedEvent | undefined {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as RecordedEvent;
  } catch {
    return undefined;
  }
}

/** Why the bytes are not the canonical bytes of an event of `trail`, or undefined when they are. */
export function whyNotTrailEvent(bytes: Uint8Array, trail: string): string | undefined {
  const event = decodeEvent(bytes) as unknown;
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return 'the event bytes are not a UTF-8 JSON object';
  const fields = event as Record<string, unknown>;
  const keys = Object.keys(fields).sort();
  if (keys.join(',') !== EVENT_KEYS.join(','))
    return `the event has fields ${keys.join(', ')}, not ${EVENT_KEYS.join(', ')}`;
  if (fields.v !== CANONICAL_EVENT_VERSION) return `the event has canonical version ${String(fields.v)}`;
  if (typeof fields.id !== 'string' || typeof fields.stream !== 'string' || typeof fields.type !== 'string') {
    return 'the event id, stream and type must be strings';
  }
  if (typeof fields.revision !== 'number' || !Number.isSafeInteger(fields.revision) || fields.revision < 0) {
    return 'the event revision is not a non-negative integer';
  }
  const recorded = event as RecordedEvent;
  if (!bytesEqual(canonicalEventBytes(recorded), bytes)) return 'the event bytes are not in canonical form';
  const author = authorOf(recorded);
  if (author !== trail)
    return `the event is authored by ${JSON.stringify(author ?? null)}, not by the trail's node`;
  if (isAuditStream(recorded.stream)) return `the event is in the checkpoint stream ${recorded.stream}`;
  return undefined;
}
