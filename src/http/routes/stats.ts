import { getStats } from '../../projections/stats/stats-queries.js';
import type { RestDeps } from '../rest-routes.js';
import { parseQuery } from '../query-params.js';
import { ok } from '../responses.js';
import type { Route } from '../router.js';

/**
 * `GET /api/stats`: the stats view ({@link getStats}, start_time = when the server started) plus the
 * HTTP layer's counts: `total_requests` (the seed's ServerStats field) and `requests` {total, errors
 * (status ≥ 400), server_errors (≥ 500), error_rate = errors / total, null before any}. The counts
 * include the stats request itself (counted when it arrives; its own status is counted when it ends).
 * `error_rate` at the top level stays the seed's: failed tasks / finished tasks.
 */
export function statsRoutes(deps: RestDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/stats',
      handler: ({ query }) => {
        parseQuery(query, {});
        const stats = getStats(deps.node.readModel, {
          startTime: new Date(deps.startedAt).toISOString(),
          now: Date.now(),
        });
        const counts = deps.requestCounts();
        return ok({
          ...stats,
          total_requests: counts.total,
          requests: { ...counts, error_rate: counts.total === 0 ? null : counts.errors / counts.total },
        });
      },
    },
  ];
}
