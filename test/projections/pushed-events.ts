import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/events/types.js';
import { CheckpointStore } from '../../src/projections/checkpoint-store.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { ProjectionLoop } from '../../src/projections/projection-loop.js';
import { ProjectionView } from '../../src/projections/projection-view.js';
import { ForwardedEvents } from '../../src/projections/thread/forwarded-events.js';

/**
 * Views run as the projection worker runs them (src/projections/thread/projection-thread-main.ts): a
 * shared loop over the `$all` the main thread forwards, here pushed by the test batch by batch, each
 * batch applied before `push` resolves. For tests that choose the batches (and so the transactions).
 */
export function pushedEvents(db: Database.Database, definitions: readonly ProjectionDefinition[]) {
  const checkpoints = new CheckpointStore(db);
  const views = definitions.map((definition) => new ProjectionView(definition, db, checkpoints));
  const subscriptions: number[] = [];
  const source = new ForwardedEvents(
    (message) => {
      if (message.type === 'subscribe') subscriptions.push(message.id);
    },
    { received: () => {}, consumed: () => {}, forget: () => {} },
  );
  const loop = new ProjectionLoop(source, db);
  loop.join(views);
  return {
    views,
    /** Sends one batch and resolves once every view reflects it. */
    async push(batch: readonly RecordedEvent[]): Promise<void> {
      const id = subscriptions.at(-1);
      if (id === undefined) throw new Error('the loop did not subscribe');
      source.receive({ type: 'events', id, events: [...batch] });
      const last = batch.at(-1)!.position;
      await Promise.all(views.map((view) => view.reached(last)));
    },
    stop: () => loop.stop(),
  };
}
