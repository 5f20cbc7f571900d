import type { Filter, Position, ResolvedEvent } from '@kurrent/kurrentdb-client';
import type { Direction, ReadAllOptions, RecordedEvent } from '../types.js';
import type { AllFilterPlan } from './all-filter.js';
import { positionOf, toRecordedEvent } from './recorded-event.js';

/** One server read of `$all`: at most `count` events passing the server-side filter. */
export type AllPageFetch = (
  from: Position | 'start' | 'end',
  direction: Direction,
  count: number,
  filter: Filter | undefined,
) => Promise<ResolvedEvent[]>;

const PAGE_SIZE = 2048;

function at(position: bigint): Position {
  return { commit: position, prepare: position };
}

/**
 * Reads `$all` in pages until `maxCount` events pass the whole filter (the server applies its part,
 * the rest is checked here). KurrentDB starts a forward read at a position inclusively, and a
 * backward read just before it; the port's start is inclusive both ways, so a backward read first
 * fetches the event at the start position itself.
 */
export async function readAllPaged(
  fetch: AllPageFetch,
  options: ReadAllOptions,
  plan: AllFilterPlan,
): Promise<RecordedEvent[]> {
  const direction = options.direction ?? 'forwards';
  const want = options.maxCount ?? Infinity;
  const found: RecordedEvent[] = [];
  if (want === 0) return found;
  const take = (resolved: ResolvedEvent) => {
    if (found.length < want && plan.accepts(resolved)) found.push(toRecordedEvent(resolved));
  };
  const from = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end');

  if (direction === 'forwards') {
    if (from === 'end') return found;
    let cursor: Position | 'start' = from === 'start' ? 'start' : at(from);
    let seenThrough: bigint | undefined;
    for (;;) {
      // Every page after the first starts with the last event of the previous one again.
      const count = Math.min(PAGE_SIZE, want - found.length + (seenThrough === undefined ? 0 : 1));
      const page = await fetch(cursor, 'forwards', count, plan.server);
      let last: Position | undefined;
      for (const resolved of page) {
        const position = positionOf(resolved);
        if (position && seenThrough !== undefined && position.commit <= seenThrough) continue;
        last = position ?? last;
        take(resolved);
      }
      if (found.length >= want || page.length < count || !last) return found;
      cursor = last;
      seenThrough = last.commit;
    }
  }

  if (from === 'start') return found;
  let cursor: Position | 'end' = 'end';
  let below: bigint | undefined;
  if (from !== 'end') {
    cursor = at(from);
    below = from;
    const [first] = await fetch(cursor, 'forwards', 1, plan.server);
    if (first && positionOf(first)?.commit === from) take(first);
  }
  while (found.length < want) {
    const count = Math.min(PAGE_SIZE, want - found.length);
    const page = await fetch(cursor, 'backwards', count, plan.server);
    let last: Position | undefined;
    for (const resolved of page) {
      const position = positionOf(resolved);
      last = position ?? last;
      // Only what lies before the start: the event at the start was taken above.
      if (below !== undefined && position && position.commit >= below) continue;
      take(resolved);
    }
    if (page.length < count || !last) break;
    cursor = last;
  }
  return found;
}
