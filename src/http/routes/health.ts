import type { ProjectionLag } from '../../projections/projection-runner.js';
import type { RestDeps } from '../rest-routes.js';
import { parseQuery } from '../query-params.js';
import { ok } from '../responses.js';
import type { Route } from '../router.js';

/** One read model's progress as /health shows it. */
export interface ProjectionHealth {
  name: string;
  state: string;
  /** `$all` position the view reflects, as a decimal string; null before its first event. */
  position: string | null;
  /** Events recorded after that position (counted up to 10,000). */
  events_behind: number;
  ms_behind: number;
}

/**
 * `GET /health`: `ok` (200) when the store answers and every read model runs and is close to the head
 * of the log; `degraded` (503) otherwise, with the reasons in `problems`.
 */
export function healthRoutes(deps: RestDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      handler: async ({ query }) => {
        parseQuery(query, {});
        const problems: string[] = [];
        let lag: ProjectionLag[] = [];
        try {
          lag = await deps.node.projections.lag();
        } catch {
          problems.push('the event store cannot be read');
        }
        const projections = lag.map((view): ProjectionHealth => ({
          name: view.name,
          state: view.state,
          position: view.position === undefined ? null : view.position.toString(),
          events_behind: view.eventsBehind,
          ms_behind: view.msBehind,
        }));
        for (const view of projections) {
          if (view.state === 'failed' || view.state === 'stopped') {
            problems.push(`projection ${view.name} is ${view.state}`);
          } else if (view.events_behind > deps.maxEventsBehind || view.ms_behind > deps.maxMsBehind) {
            problems.push(
              `projection ${view.name} is ${view.events_behind} events (${view.ms_behind} ms) behind`,
            );
          }
        }
        const head = lag[0]?.head;
        const now = Date.now();
        const response = ok({
          status: problems.length === 0 ? 'ok' : 'degraded',
          node_id: deps.node.identity.nodeId,
          started_at: new Date(deps.startedAt).toISOString(),
          uptime_seconds: Math.max(0, Math.floor((now - deps.startedAt) / 1000)),
          store: { kind: deps.storeKind, head_position: head === undefined ? null : head.toString() },
          projections,
          problems,
        });
        return problems.length === 0 ? response : { ...response, status: 503 };
      },
    },
  ];
}
