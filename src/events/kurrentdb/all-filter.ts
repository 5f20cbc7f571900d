import {
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  type ResolvedEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import type { EventFilter } from '../types.js';
import { isSystemEvent } from './recorded-event.js';

/**
 * How a port filter runs against `$all`. KurrentDB filters server-side on one field (stream name or
 * event type), so the most selective part goes to the server and the rest (the other field, and
 * hiding system events) is checked here on what comes back.
 */
export interface AllFilterPlan {
  server: Filter;
  accepts(resolved: ResolvedEvent): boolean;
}

const REGEX_SPECIALS = /[\\^$.|?*+()[\]{}]/g;

function exactly(values: readonly string[]): string {
  return `^(?:${values.map((value) => value.replace(REGEX_SPECIALS, '\\$&')).join('|')})$`;
}

export function planAllFilter(filter: EventFilter | undefined): AllFilterPlan {
  const prefixes = filter?.streamPrefixes?.length ? [...filter.streamPrefixes] : undefined;
  const types = filter?.eventTypes?.length ? new Set(filter.eventTypes) : undefined;
  const visible = (resolved: ResolvedEvent) => !isSystemEvent(resolved.event);
  if (prefixes) {
    return {
      server: streamNameFilter({ prefixes }),
      accepts: (resolved) => visible(resolved) && (!types || types.has(resolved.event!.type)),
    };
  }
  if (types) {
    return { server: eventTypeFilter({ regex: exactly([...types]) }), accepts: visible };
  }
  return { server: excludeSystemEvents(), accepts: visible };
}
