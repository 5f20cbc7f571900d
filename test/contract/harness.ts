import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type { EventStore } from '../../src/events/event-store.js';
import type { NewEvent, RecordedEvent, Subscription } from '../../src/events/types.js';

export interface OpenOptions {
  /** Milliseconds since the epoch as the store should see them (adapters with `supportsClock`). */
  clock?: () => number;
  maxEventSize?: number;
}

/** One test's backing data: every `open` is another connection to the same events. */
export interface StoreFixture {
  open(options?: OpenOptions): Promise<EventStore>;
  dispose(): Promise<void>;
}

/** What an adapter gives the contract suite. */
export interface StoreHarness {
  name: string;
  /** The node id the adapter writes as `author`. */
  nodeId: string;
  supportsClock: boolean;
  fixture(): Promise<StoreFixture>;
}

/** Per-test context: a fixture, its first store, and a prefix that keeps this test's streams apart. */
export interface ContractContext {
  store: EventStore;
  fixture: StoreFixture;
  /** A stream name unique to this test. */
  stream(label?: string): string;
  prefix: string;
}

export function useContract(harness: StoreHarness): ContractContext {
  const context = {} as ContractContext;
  beforeEach(async () => {
    context.fixture = await harness.fixture();
    context.store = await context.fixture.open();
    context.prefix = `t${randomUUID().slice(0, 8)}-`;
    let counter = 0;
    context.stream = (label = 's') => `${context.prefix}${label}-${counter++}`;
  });
  afterEach(async () => {
    await context.fixture.dispose();
  });
  return context;
}

export function event(type = 'Something', data: NewEvent['data'] = { n: 1 }, id?: string): NewEvent {
  return id === undefined ? { type, data } : { id, type, data };
}

export function events(count: number, type = 'Counted'): NewEvent[] {
  return Array.from({ length: count }, (_, n) => ({ id: randomUUID(), type, data: { n } }));
}

/**
 * Takes the next `count` events from a subscription without ending it, so a test can take again
 * (the test timeout bounds the wait).
 */
export async function take(subscription: Subscription, count: number): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const taken: RecordedEvent[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`subscription ended after ${taken.length} of ${count} events`);
    taken.push(next.value);
  }
  return taken;
}

/** Rejects with the error a promise (or a function) fails with, or fails the test if it succeeds. */
export async function failure(work: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
