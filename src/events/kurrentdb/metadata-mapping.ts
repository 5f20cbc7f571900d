import { randomUUID } from 'node:crypto';
import { jsonEvent, type JSONEventData } from '@kurrent/kurrentdb-client';
import { InvalidArgumentError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { StreamMetadata } from '../types.js';

/** The `$metadata` event type of `$$<stream>` metastreams. */
export const METADATA_EVENT_TYPE = '$metadata';

/** Keys KurrentDB reads from stream metadata; every other key is the owner's custom metadata. */
const RESERVED = new Set(['$maxCount', '$maxAge', '$tb', '$cacheControl', '$acl']);

export function metastreamOf(stream: string): string {
  return `$$${stream}`;
}

/** Port metadata as KurrentDB stream metadata: `$maxCount`, `$maxAge`, `$tb`, custom keys alongside. */
export function toKurrentMetadata(metadata: StreamMetadata): JsonObject {
  const json: JsonObject = {};
  for (const key of Object.keys(metadata.custom ?? {})) {
    if (RESERVED.has(key)) {
      throw new InvalidArgumentError(`stream metadata custom key ${key} is reserved by KurrentDB`);
    }
  }
  Object.assign(json, metadata.custom ?? {});
  if (metadata.maxCount !== undefined) json.$maxCount = metadata.maxCount;
  if (metadata.maxAge !== undefined) json.$maxAge = metadata.maxAge;
  if (metadata.truncateBefore !== undefined) json.$tb = metadata.truncateBefore;
  return json;
}

/** The `$metadata` event that sets a stream's metadata when appended to its metastream. */
export function metadataEventData(json: JsonObject): JSONEventData {
  return jsonEvent({ id: randomUUID(), type: METADATA_EVENT_TYPE, data: json });
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * KurrentDB stream metadata in the port's terms. A `$tb` beyond 2^53 is the server's soft-delete
 * marker (long.MaxValue), not a setting of the owner, so it is left out.
 */
export function fromKurrentMetadata(json: unknown): StreamMetadata {
  if (!isJsonObject(json)) return {};
  const metadata: StreamMetadata = {};
  const maxCount = count(json.$maxCount);
  if (maxCount !== undefined) metadata.maxCount = maxCount;
  const maxAge = count(json.$maxAge);
  if (maxAge !== undefined && maxAge > 0) metadata.maxAge = maxAge;
  const truncateBefore = count(json.$tb);
  if (truncateBefore !== undefined) metadata.truncateBefore = truncateBefore;
  const custom: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (!RESERVED.has(key)) custom[key] = value;
  }
  if (Object.keys(custom).length > 0) metadata.custom = custom;
  return metadata;
}
