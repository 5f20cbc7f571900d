import { canonicalJson } from './canonical-json.js';
import type { RecordedEvent } from './types.js';

/** Version tag inside the canonical form, so a later change of the form can be told apart. */
export const CANONICAL_EVENT_VERSION = 1;

/**
 * The canonical bytes of a recorded event: the one definition the audit trail hashes and signs, and
 * that any third party can recompute. UTF-8 of the RFC 8785 canonical JSON of
 * `{v, id, stream, revision, type, data, metadata}`.
 *
 * The global position and the recorded time are left out on purpose: the store assigns them, and they
 * differ between stores (SQLite row id, KurrentDB commit position) for the same authored event.
 */
export function canonicalEventBytes(
  event: Pick<RecordedEvent, 'id' | 'stream' | 'revision' | 'type' | 'data' | 'metadata'>,
): Uint8Array {
  const text = canonicalJson({
    v: CANONICAL_EVENT_VERSION,
    id: event.id,
    stream: event.stream,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  });
  return new TextEncoder().encode(text);
}
