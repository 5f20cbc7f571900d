import type { StreamMetadata } from '../types.js';
import type { StreamRow } from './rows.js';

/** The window of a stream that reads may show, from its metadata and any soft delete. */
export interface VisibleWindow {
  minRevision: number;
  minRecordedAt: number;
}

export function parseStreamMetadata(row: StreamRow): StreamMetadata {
  return row?.metadata ? (JSON.parse(row.metadata) as StreamMetadata) : {};
}

export function visibleWindow(row: StreamRow, now: number): VisibleWindow {
  const metadata = parseStreamMetadata(row);
  let minRevision = Math.max(row.hidden_before, metadata.truncateBefore ?? 0);
  if (metadata.maxCount !== undefined)
    minRevision = Math.max(minRevision, row.last_revision - metadata.maxCount + 1);
  const minRecordedAt = metadata.maxAge !== undefined ? now - metadata.maxAge * 1000 : 0;
  return { minRevision, minRecordedAt };
}
