import type { RecordedEvent, Subscription } from './types.js';

/**
 * A subscription's events a page at a time: its own pages when it has them, otherwise one event per
 * page. For consumers that do little per event and should not pay a promise for each.
 */
export function pagesOf(subscription: Subscription): AsyncIterable<readonly RecordedEvent[]> {
  return subscription.pages?.() ?? singleEvents(subscription);
}

async function* singleEvents(subscription: Subscription): AsyncGenerator<readonly RecordedEvent[]> {
  for await (const event of subscription) yield [event];
}
