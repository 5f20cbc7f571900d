import { jsonEvent, type JSONEventData, type Position, type ResolvedEvent } from '@kurrent/kurrentdb-client';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { PreparedEvent } from '../prepare-events.js';
import type { EventMetadata, RecordedEvent } from '../types.js';

/** The event number KurrentDB gives a tombstone (long.MaxValue). */
export const TOMBSTONE_REVISION = (1n << 63n) - 1n;

type ClientRecordedEvent = NonNullable<ResolvedEvent['event']>;

/** A validated event as the client sends it: JSON content, the envelope as custom metadata. */
export function toEventData(event: PreparedEvent): JSONEventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JsonObject,
    metadata: event.metadata,
  });
}

/**
 * Streams and event types starting with `$` belong to the server (metadata, tombstones, links,
 * projections, statistics): bzzz readers never see them.
 */
export function isSystemEvent(event: ClientRecordedEvent | undefined): boolean {
  return event === undefined || event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** The global position the port uses: the commit position. */
export function positionOf(resolved: ResolvedEvent): Position | undefined {
  const position = resolved.event?.position;
  if (position) return position;
  if (resolved.commitPosition !== undefined) {
    return { commit: resolved.commitPosition, prepare: resolved.commitPosition };
  }
  return undefined;
}

function dataOf(event: ClientRecordedEvent): JsonValue {
  if (event.isJson) return event.data as JsonValue;
  const text = Buffer.from(event.data as Uint8Array).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return Buffer.from(event.data as Uint8Array).toString('base64');
  }
}

/**
 * The client's read path carries whole seconds only (its native reader truncates `created`), so every
 * path reports the recorded time to the second and the same event always reads back the same.
 */
function recordedAtOf(event: ClientRecordedEvent): string {
  const ms = event.created.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

function metadataOf(event: ClientRecordedEvent, recordedAt: string): EventMetadata {
  const given = event.metadata;
  const metadata = isJsonObject(given as unknown) ? (given as JsonObject) : {};
  // Events bzzz wrote carry the whole envelope; others get the defaults the store would have filled.
  return {
    correlationId: event.id,
    causationId: event.id,
    author: '',
    occurredAt: recordedAt,
    schemaVersion: 1,
    ...metadata,
  } as EventMetadata;
}

export function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent {
  const event = resolved.event!;
  const recordedAt = recordedAtOf(event);
  return {
    id: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    position: positionOf(resolved)?.commit ?? -1n,
    type: event.type,
    data: dataOf(event),
    metadata: metadataOf(event, recordedAt),
    recordedAt,
  };
}
