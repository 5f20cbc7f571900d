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
