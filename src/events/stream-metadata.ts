import { InvalidArgumentError } from './errors.js';
import { isJsonObject, whyNotJson } from './json.js';
import type { StreamMetadata } from './types.js';

const COUNTS = ['maxCount', 'maxAge', 'truncateBefore'] as const;

/** Checks retention settings and returns only the known keys. */
export function validateStreamMetadata(metadata: StreamMetadata): StreamMetadata {
  if (!isJsonObject(metadata as unknown)) throw new InvalidArgumentError('stream metadata must be an object');
  const valid: StreamMetadata = {};
  for (const key of COUNTS) {
    const value = metadata[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0 || (key === 'maxAge' && value === 0)) {
      throw new InvalidArgumentError(
        `stream metadata ${key} must be a ${key === 'maxAge' ? 'positive' : 'non-negative'} integer`,
      );
    }
    valid[key] = value;
  }
  if (metadata.custom !== undefined) {
    const reason = isJsonObject(metadata.custom)
      ? whyNotJson(metadata.custom, 'custom')
      : 'custom must be an object';
    if (reason) throw new InvalidArgumentError(`stream metadata ${reason}`);
    valid.custom = metadata.custom;
  }
  return valid;
}
