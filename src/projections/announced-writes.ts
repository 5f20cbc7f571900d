import type Database from 'better-sqlite3';

/**
 * Read models whose writer on another connection tells this thread of each of its commits (the
 * projection worker of `bzzz serve`, through the main thread's ProjectionThread): how many it told.
 * Caches over such a read model may skip asking SQLite whether it changed (a read transaction, several
 * microseconds) while no write was announced, for at most {@link UNANNOUNCED_WRITES_SEEN_WITHIN_MS}.
 */
const announced = new WeakMap<Database.Database, number>();

/**
 * A writer that announces nothing (a rebuild from the CLI, another process) is seen within this long.
 * The writes of this node's own commands are always announced before the queries that follow them
 * (read-your-writes waits for the same message).
 */
export const UNANNOUNCED_WRITES_SEEN_WITHIN_MS = 250;

/** From now on, every commit to `db` by its usual writer is announced ({@link writeAnnounced}). */
export function announceWrites(db: Database.Database): void {
  if (!announced.has(db)) announced.set(db, 0);
}

/** The writer committed to `db`. */
export function writeAnnounced(db: Database.Database): void {
  const count = announced.get(db);
  if (count !== undefined) announced.set(db, count + 1);
}

/** How many writes to `db` were announced; undefined when its writes are not announced. */
export function announcedWrites(db: Database.Database): number | undefined {
  return announced.get(db);
}
