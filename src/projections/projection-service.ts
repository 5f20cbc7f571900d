import type { ProjectionLag } from './projection-lag.js';
import type { ProjectionStatus } from './projection-view.js';

/**
 * The projections of a running node as the rest of it sees them (MCP tools, HTTP routes, resource
 * feeds): where the views stand and read-your-writes. Implemented in this thread by ProjectionRunner
 * (projection-runner.ts) and, for a node's file-backed read model, in a worker thread by
 * ProjectionThread (thread/projection-thread.ts).
 */
export interface ProjectionService {
  start(): void;
  /** Stops following `$all`; the checkpoints held in memory only are written first. */
  stop(): Promise<void>;
  status(): ProjectionStatus[];
  /**
   * Read-your-writes: resolves once the named projections (all when none are named) reflect `position`,
   * or fails with PROJECTION_TIMEOUT after `timeoutMs`.
   */
  waitFor(position: bigint | undefined, timeoutMs?: number, names?: readonly string[]): Promise<void>;
  /** A command's events, of these types, were appended up to `position`: the views reading them owe it. */
  noteWrite(position: bigint | undefined, eventTypes: readonly string[]): void;
  /** Resolves once the named views (all when none are named) reflect every write noted so far. */
  settle(names?: readonly string[], timeoutMs?: number): Promise<void>;
  lag(): Promise<ProjectionLag[]>;
}
