import type { WireEvent } from '../../events/event-wire.js';
import type { SubscriptionStart } from '../../events/types.js';
import type { ProjectionStatus } from '../projection-view.js';

/**
 * How the main thread and its projection worker (projection-thread.ts, projection-thread-main.ts)
 * talk. The worker runs the views over `$all` as the main thread forwards it: it asks for
 * subscriptions, the main thread answers each with batches of events read from its store, at most
 * {@link MAX_BATCHES_IN_FLIGHT} of them not yet acknowledged; the worker reports what it consumed and
 * where its views stand, after each batch it applied.
 */

/** Batches of one subscription the main thread may have sent and the worker not yet consumed. */
export const MAX_BATCHES_IN_FLIGHT = 4;

export interface ProjectionWorkerData {
  /** The read-model database file: its schema already exists (the main thread created it). */
  path: string;
  /** The projections to run, from the `projections` export of `module`. */
  views: { name: string; version: number }[];
  /** URL of a module exporting `projections`; absent: bzzz's own (projections.ts). */
  module?: string;
}

/** Main thread → worker. */
export type ToWorker =
  /** Events of subscription `id`, in order: those some view reads, and always the batch's last one. */
  | { type: 'events'; id: number; events: WireEvent[] }
  /** Subscription `id` ended on the main thread (the store's subscription failed: `error`). */
  | { type: 'end'; id: number; error?: string }
  /** Stop following `$all`, write the checkpoints held in memory only, close the database and exit. */
  | { type: 'stop' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'subscribe'; id: number; from: SubscriptionStart<bigint> }
  | { type: 'close'; id: number }
  /** Batches consumed per subscription, and the views whose status changed since the last report. */
  | { type: 'report'; acks: [id: number, batches: number][]; statuses: ProjectionStatus[] };
