/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Stream metadata as the server keeps it: the JSON of the last `$metadata` event of `$$<stream>`,
 * with the reserved keys `$maxCount`, `$maxAge` (seconds) and `$tb` (truncate before). A soft delete
 * is `$tb` set to EventNumber.DeletedStream (long.MaxValue).
 */

/** long.MaxValue: the server's event number for "deleted" (tombstones, and `$tb` of a soft delete). */
export const DELETED_STREAM = (1n << 63n) - 1n;

export const METADATA_EVENT_TYPE = '$metadata';

export interface Retention {
  maxCount?: number;
  maxAgeSeconds?: number;
  truncateBefore?: bigint;
}

export function metastreamOf(stream: string): string {
  return `$$${stream}`;
}

export function isMetastream(stream: string): boolean {
  return stream.startsWith('$$');
}

export function originalStreamOf(metastream: string): string {
  return metastream.slice(2);
}

/** Parses raw metadata as the server does: anything unreadable counts as no metadata. */
export function parseRawMetadata(raw: Uint8Array | undefined): Record<string, unknown> {
  if (!raw || raw.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function retentionOf(raw: Uint8Array | undefined): Retention {
  const json = parseRawMetadata(raw);
  const retention: Retention = {};
  const maxCount = count(json.$maxCount);
  if (maxCount !== undefined) retention.maxCount = maxCount;
  const maxAge = count(json.$maxAge);
  if (maxAge !== undefined && maxAge > 0) retention.maxAgeSeconds = maxAge;
  const tb = json.$tb;
  // JSON numbers lose precision above 2^53: anything that large is the soft-delete marker.
  if (typeof tb === 'number' && tb > Number.MAX_SAFE_INTEGER) retention.truncateBefore = DELETED_STREAM;
  else if (count(tb) !== undefined) retention.truncateBefore = BigInt(tb as number);
  return retention;
}

/** Raw metadata with `$tb` replaced (keeping every other key), written exactly as the server writes it. */
export function withTruncateBefore(raw: Uint8Array | undefined, truncateBefore: bigint): Uint8Array {
  const json = { ...parseRawMetadata(raw), $tb: '__TB__' };
  return Buffer.from(JSON.stringify(json).replace('"__TB__"', truncateBefore.toString()), 'utf8');
}
