import type { EventMetadata, RecordedEvent } from './types.js';

/**
 * A recorded event as it crosses to another thread: with the JSON text of its data and metadata
 * when the store still has it (the embedded store's live events), so that the sender neither parses
 * nor clones them and the receiver parses them; otherwise with the parsed values.
 */
export type WireEvent = Omit<RecordedEvent, 'data' | 'metadata'> &
  ({ dataText: string; metadataText: string } | { data: RecordedEvent['data']; metadata: EventMetadata });

/** Where a store keeps the stored text of an event it built (a hidden property, never cloned). */
export const EVENT_TEXTS = Symbol('bzzz.eventTexts');

/** The event's data and metadata are exactly these JSON texts. */
export interface EventTexts {
  readonly dataText: string;
  readonly metadataText: string;
}

export function toWire(event: RecordedEvent): WireEvent {
  const { id, stream, revision, position, type, recordedAt } = event;
  const fields = { id, stream, revision, position, type, recordedAt };
  const texts = (event as RecordedEvent & { [EVENT_TEXTS]?: EventTexts })[EVENT_TEXTS];
  return texts
    ? { ...fields, dataText: texts.dataText, metadataText: texts.metadataText }
    : { ...fields, data: event.data, metadata: event.metadata };
}

export function fromWire(wire: WireEvent): RecordedEvent {
  if (!('dataText' in wire)) return wire;
  const { dataText, metadataText, ...fields } = wire;
  return {
    ...fields,
    data: JSON.parse(dataText) as RecordedEvent['data'],
    metadata: JSON.parse(metadataText) as EventMetadata,
  };
}
