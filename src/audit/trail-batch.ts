import { canonicalEventBytes } from '../events/canonical-event.js';
import type { CanonicalPage } from '../events/canonical-reads.js';
import type { RecordedEvent } from '../events/types.js';
import type { PackedLeaves } from './leaf-runs.js';
import { isTrailEvent } from './trail.js';

/** Trail events ready to hash: their canonical bytes back to back, and what the audit database keeps. */
export type TrailEvents = Omit<PackedLeaves, 'leaves'> & { bytes: Buffer; offsets: Uint32Array };

/**
 * A canonical page's events of trail `trail` in log order, numbered from trail index `firstIndex`: the
 * ones the store composed, and spliced in at their place the odd ones it gave parsed.
 */
export function trailEventsOf(page: CanonicalPage, trail: string, firstIndex: number): TrailEvents {
  const { composed, parsed, parsedAfter } = page;
  const identity = composed.identity!;
  const batch = {
    firstIndex,
    bytes: composed.bytes,
    offsets: composed.offsets,
    positions: composed.positions,
    ids: identity.ids,
    streams: identity.streams,
    revisions: identity.revisions,
  };
  const extra = parsed
    .map((event, p) => ({ event, after: parsedAfter[p]! }))
    .filter(({ event }) => isTrailEvent(event, trail));
  if (extra.length === 0) return batch;
  // Spliced in at their place.
  const chunks: Uint8Array[] = [];
  const events: Pick<RecordedEvent, 'id' | 'stream' | 'revision' | 'position'>[] = [];
  let e = 0;
  for (let i = 0; i <= composed.count; i++) {
    for (; e < extra.length && extra[e]!.after === i; e++) {
      chunks.push(canonicalEventBytes(extra[e]!.event));
      events.push(extra[e]!.event);
    }
    if (i === composed.count) break;
    chunks.push(composed.bytes.subarray(composed.offsets[i], composed.offsets[i + 1]));
    events.push({
      id: identity.ids[i]!,
      stream: identity.streams[i]!,
      revision: identity.revisions[i]!,
      position: composed.positions[i]!,
    });
  }
  const offsets = new Uint32Array(chunks.length + 1);
  chunks.forEach((chunk, i) => (offsets[i + 1] = offsets[i]! + chunk.length));
  return {
    firstIndex: batch.firstIndex,
    bytes: Buffer.concat(chunks),
    offsets,
    positions: events.map((event) => event.position),
    ids: events.map((event) => event.id),
    streams: events.map((event) => event.stream),
    revisions: events.map((event) => event.revision),
  };
}
