import type { EventStore } from '../events/event-store.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import { auditDbPath, TrailDb } from './trail-db.js';
import { TrailWriter, type TrailWriterOptions } from './trail-writer.js';

export interface TrailServiceOptions extends Pick<
  TrailWriterOptions,
  'checkpointEvery' | 'checkpointIntervalMs' | 'now' | 'onError'
> {
  /** The node's data directory: the audit database is `audit.db` in it. */
  dataDir: string;
  store: EventStore;
  identity: NodeIdentity;
}

/** The node's trail writer with the audit database it owns. */
export interface TrailService {
  writer: TrailWriter;
  /** Settles once the writer follows `$all` (it rejects only if it could not start; see onError). */
  ready: Promise<void>;
  /**
   * Stops following `$all`, signs a final checkpoint if the trail grew, and closes the audit database.
   * Never rejects: failures go to `onError`, so a node's shutdown always goes on to close its store.
   */
  close(): Promise<void>;
}

/**
 * Opens the audit database beside the store and starts the trail writer (for the composition root).
 * Synchronous, like the rest of the node's start: the writer starts in the background.
 */
export function startTrailService(options: TrailServiceOptions): TrailService {
  const onError =
    options.onError ??
    ((error: unknown) =>
      console.error(`bzzz: audit trail: ${error instanceof Error ? error.message : String(error)}`));
  const db = TrailDb.open(auditDbPath(options.dataDir), options.identity.nodeId);
  let writer: TrailWriter;
  try {
    writer = new TrailWriter({ ...options, db, onError });
  } catch (error) {
    db.close();
    throw error;
  }
  const ready = writer.start();
  ready.catch(onError);
  return {
    writer,
    ready,
    async close() {
      try {
        await ready.catch(() => {});
        await writer.stop();
      } catch (error) {
        onError(error);
      } finally {
        db.close();
      }
    },
  };
}
