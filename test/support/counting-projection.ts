import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/events/types.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';

/**
 * A projection for runner tests: counts events per stream and sums `data.n`, so any event applied
 * twice or skipped shows in the totals. `failOn` makes apply throw for one event type.
 */
export function countingProjection(
  options: { name?: string; version?: number; failOn?: string } = {},
): ProjectionDefinition {
  return {
    name: options.name ?? 'counting',
    version: options.version ?? 1,
    open(db) {
      const table = `${options.name ?? 'counting'}_counts`;
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, total INTEGER NOT NULL)`,
      );
      const add = db.prepare<[string, number]>(
        `INSERT INTO ${table} (stream, events, total) VALUES (?, 1, ?)
         ON CONFLICT (stream) DO UPDATE SET events = events + 1, total = total + excluded.total`,
      );
      return {
        reset: () => db.exec(`DELETE FROM ${table}`),
        apply(event) {
          if (event.type === options.failOn) throw new Error(`cannot apply ${event.type}`);
          const n = (event.data as { n?: unknown } | null)?.n;
          add.run(event.stream, typeof n === 'number' ? n : 0);
        },
      };
    },
  };
}

/** What a counting view holds: per stream, its events and the sum of their `data.n`. */
export type Counts = { stream: string; events: number; total: number }[];

/** The rows of the counting view `name` (table `<name>_counts`). */
export const countsOf = (db: Database.Database, name = 'counting'): Counts =>
  db.prepare(`SELECT stream, events, total FROM ${name}_counts ORDER BY stream`).all() as Counts;

/** What a counting view reading `types` (all when absent) must hold after folding `events`. */
export function foldCounts(events: readonly RecordedEvent[], types?: readonly string[]): Counts {
  const byStream = new Map<string, { events: number; total: number }>();
  for (const event of events) {
    if (types && !types.includes(event.type)) continue;
    const entry = byStream.get(event.stream) ?? { events: 0, total: 0 };
    const n = (event.data as { n?: unknown } | null)?.n;
    entry.events++;
    entry.total += typeof n === 'number' ? n : 0;
    byStream.set(event.stream, entry);
  }
  return [...byStream]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stream, { events, total }]) => ({ stream, events, total }));
}
