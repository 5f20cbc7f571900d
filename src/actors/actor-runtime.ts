import type { EventStore } from '../events/event-store.js';
import { ActorSystem, type ActorSystemOptions } from './actor-system.js';
import { DeadlineIndex } from './deadline-index.js';
import { DeadlineTracker } from './deadline-tracker.js';
import { sqliteEffectOutbox } from './effect-outbox.js';
import { openRuntimeDatabase } from './runtime-db.js';
import { sqliteSnapshotStore } from './snapshot-store.js';

export interface ActorRuntimeOptions extends Omit<ActorSystemOptions, 'snapshots' | 'outbox' | 'store'> {
  store: EventStore;
  /** The runtime cache file (snapshots, deadline index); ':memory:' keeps it in memory. */
  runtimeDbPath: string;
  onError?: (error: unknown) => void;
}

/** The actor system wired with its snapshot cache, durable timers and effect outbox. */
export interface ActorRuntime {
  system: ActorSystem;
  deadlines: DeadlineTracker;
  /** Settles once the effects a crash interrupted were started again (with how many). */
  recovered: Promise<number | void>;
  close(): Promise<void>;
}

export function startActorRuntime(options: ActorRuntimeOptions): ActorRuntime {
  const db = openRuntimeDatabase(options.runtimeDbPath);
  const system = new ActorSystem({
    ...options,
    snapshots: sqliteSnapshotStore(db),
    outbox: sqliteEffectOutbox(db),
  });
  const deadlines = new DeadlineTracker(system, options.store, new DeadlineIndex(db), options.onError);
  deadlines.start();
  const recovered = system.recoverEffects().catch((error) => options.onError?.(error));
  return {
    system,
    deadlines,
    recovered,
    async close() {
      await recovered;
      await deadlines.stop();
      await system.stop();
      db.close();
    },
  };
}
