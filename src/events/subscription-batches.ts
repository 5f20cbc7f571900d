import type { RecordedEvent, Subscription } from './types.js';

const DRAINED = Symbol('drained');

/**
 * A subscription's events in batches: each batch is what the subscription delivers without waiting
 * for I/O (its pages, when it has them), up to `maxBatch` events, so a consumer that writes per batch does one transaction per turn of the
 * event loop while catching up, and one per event when live.
 */
export async function* subscriptionBatches(
  subscription: Subscription,
  maxBatch = 1000,
): AsyncGenerator<RecordedEvent[]> {
  if (subscription.pages) {
    // A page is what one read delivered: already a batch, with no promise per event.
    for await (const page of subscription.pages()) {
      for (let at = 0; at < page.length; at += maxBatch) yield page.slice(at, at + maxBatch);
    }
    return;
  }
  const iterator = subscription[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const first = await next;
    if (first.done) return;
    const batch = [first.value];
    next = iterator.next();
    // One timer per batch, not per event.
    const drained = new Promise<typeof DRAINED>((resolve) => setImmediate(resolve, DRAINED));
    while (batch.length < maxBatch) {
      const more = await Promise.race([next, drained]);
      if (more === DRAINED || more.done) break;
      batch.push(more.value);
      next = iterator.next();
    }
    yield batch;
  }
}
