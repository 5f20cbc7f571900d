import type { EventStore } from '../events/event-store.js';
import { ActorSystem, type ActorSystemOptions } from './actor-system.js';
import { DeadlineIndex } from './deadline-index.js';
import { DeadlineTracker } from './deadline-tracker.js';
import { openRuntimeDatabase } from './runtime-db.js';
import { sqliteSnapshotStore } from './snapshot-store.js';

export interface ActorRuntimeOptions extends Omit<ActorSystemOptions, 'snapshots' | 'store'> {
  store: EventStore;
  /** The runtime cache file (snapshots, deadline index); ':memory:' keeps it in memory. */
  runtimeDbPath: string;
  onError?: (error: unknown) => void;
}

/** The actor system wired with its snapshot cache and durable timers. */
export interface ActorRuntime {
  system: ActorSystem;
  deadlines: DeadlineTracker;
  close(): Promise<void>;
}

export function startActorRuntime(options: ActorRuntimeOptions): ActorRuntime {
  const db = openRuntimeDatabase(options.runtimeDbPath);
  const system = new ActorSystem({ ...options, snapshots: sqliteSnapshotStore(db) });
  const deadlines = new DeadlineTracker(system, options.store, new DeadlineIndex(db), options.onError);
  deadlines.start();
  return {
    system,
    deadlines,
    async close() {
      await deadlines.stop();
      await system.stop();
      db.close();
    },
  };
}
