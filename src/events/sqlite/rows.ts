import type { EventMetadata, RecordedEvent } from '../types.js';
import { isoTime } from '../iso-time.js';

export interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

/** Where an already written event id sits, for idempotent retries. */
export interface PriorEventRow {
  revision: number;
  position: number;
  event_id: string;
}

/** What the store knows of a stream: always a row, `registered` 0 when no `streams` row exists. */
export interface StreamRow {
  last_revision: number;
  registered: number;
  state: number;
  hidden_before: number;
  metadata: string | null;
}

export const StreamState = { Live: 0, SoftDeleted: 1, Tombstoned: 2 } as const;

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    stream: row.stream,
    revision: row.revision,
    position: BigInt(row.position),
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: isoTime(row.recorded_at),
  };
}
