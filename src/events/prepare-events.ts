import { randomUUID } from 'node:crypto';
import { canonicalJson, strictCanonicalJson } from './canonical-json.js';
import { InvalidArgumentError, InvalidEventError } from './errors.js';
import { isoTime } from './iso-time.js';
import { isJsonObject, type JsonValue, whyNotJson } from './json.js';
import { whyBadEventType } from './names.js';
import type { EventMetadata, NewEvent } from './types.js';

/** Default largest event (data plus metadata, serialised): 1 MiB. */
export const DEFAULT_MAX_EVENT_SIZE = 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A validated event with its envelope complete and its JSON serialised canonically, ready to write. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: JsonValue;
  dataText: string;
  metadata: EventMetadata;
  metadataText: string;
}

export interface PrepareContext {
  /** The node id written as `author` when the writer gives none. */
  author: string;
  now: () => number;
  maxEventSize: number;
}

/** Validates a whole append before anything is written: one bad event refuses them all. */
export function prepareEvents(events: readonly NewEvent[], context: PrepareContext): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidArgumentError('an append needs at least one event');
  }
  const occurredAt = isoTime(context.now());
  const ids = new Set<string>();
  return events.map((event, index) => {
    const prepared = prepareEvent(event, index, occurredAt, context);
    if (ids.has(prepared.id)) throw new InvalidEventError(`event id ${prepared.id} appears twice`, { index });
    ids.add(prepared.id);
    return prepared;
  });
}

function prepareEvent(
  event: NewEvent,
  index: number,
  occurredAt: string,
  context: PrepareContext,
): PreparedEvent {
  if (!isJsonObject(event as unknown)) throw new InvalidEventError('event must be an object', { index });
  const id = event.id === undefined ? randomUUID() : checkedId(event.id, index);
  const badType = whyBadEventType(event.type);
  if (badType) throw new InvalidEventError(badType, { index });
  if (event.data === undefined) throw new InvalidEventError('data is missing', { index, type: event.type });
  const dataText = jsonText(event.data, 'data', { index, type: event.type });
  const metadata = completeMetadata(event.metadata, id, occurredAt, context.author, index);
  const metadataText = jsonText(metadata, 'metadata', { index });
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a text near the limit needs counting.
  const size =
    (dataText.length + metadataText.length) * 3 <= context.maxEventSize
      ? 0
      : Buffer.byteLength(dataText) + Buffer.byteLength(metadataText);
  if (size > context.maxEventSize) {
    throw new InvalidEventError(`event is ${size} bytes, over the ${context.maxEventSize}-byte limit`, {
      index,
      type: event.type,
      size,
      limit: context.maxEventSize,
    });
  }
  return { id, type: event.type, data: event.data, dataText, metadata, metadataText };
}

/** A writer-chosen id: a UUID in any case, stored in lower case. */
function checkedId(id: unknown, index: number): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new InvalidEventError('id must be a UUID', { index });
  return id.toLowerCase();
}

/** Canonical text of a value that must be plain JSON; the slow check runs only to say what is wrong. */
function jsonText(value: unknown, path: string, details: Record<string, string | number>): string {
  const text = strictCanonicalJson(value);
  if (text !== undefined) return text;
  const notJson = whyNotJson(value, path);
  if (notJson) throw new InvalidEventError(notJson, details);
  // Plain JSON nested deeper than the one-pass check goes.
  return canonicalJson(value as JsonValue);
}

function completeMetadata(
  given: unknown,
  id: string,
  occurredAt: string,
  author: string,
  index: number,
): EventMetadata {
  if (given !== undefined && !isJsonObject(given))
    throw new InvalidEventError('metadata must be an object', { index });
  const metadata = {
    correlationId: id,
    causationId: id,
    author,
    occurredAt,
    schemaVersion: 1,
    ...(given as Partial<EventMetadata> | undefined),
  };
  for (const key of ['correlationId', 'causationId', 'author'] as const) {
    if (typeof metadata[key] !== 'string' || metadata[key].length === 0) {
      throw new InvalidEventError(`metadata.${key} must be a non-empty string`, { index });
    }
  }
  if (typeof metadata.occurredAt !== 'string' || Number.isNaN(Date.parse(metadata.occurredAt))) {
    throw new InvalidEventError('metadata.occurredAt must be an ISO-8601 time', { index });
  }
  if (!Number.isSafeInteger(metadata.schemaVersion) || metadata.schemaVersion < 1) {
    throw new InvalidEventError('metadata.schemaVersion must be a positive integer', { index });
  }
  return metadata;
}
