import {
  COST_DIMENSIONS,
  costBy,
  costUsage,
  roundUsd,
  type CostRow,
} from '../../projections/cost/cost-queries.js';
import { budgetStatus } from '../../projections/cost/cost-budget.js';
import type { RestDeps } from '../rest-routes.js';
import { day, month, oneOf, parseQuery, text, timeBound } from '../query-params.js';
import { ok } from '../responses.js';
import type { Route } from '../router.js';

/** The sums of a breakdown's rows; cost_usd is null when no row has a known cost. */
function totalsOf(rows: readonly CostRow[]) {
  let cost: number | null = null;
  const totals = {
    calls: 0,
    prompt_tokens: 0,
    cached_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cost_usd: null as number | null,
    unknown_cost_calls: 0,
  };
  for (const row of rows) {
    totals.calls += row.calls;
    totals.prompt_tokens += row.prompt_tokens;
    totals.cached_tokens += row.cached_tokens;
    totals.completion_tokens += row.completion_tokens;
    totals.total_tokens += row.total_tokens;
    totals.unknown_cost_calls += row.unknown_cost_calls;
    if (row.cost_usd !== null) cost = (cost ?? 0) + row.cost_usd;
  }
  totals.cost_usd = cost === null ? null : roundUsd(cost);
  return totals;
}

/**
 * Costs, UTC days and months of the node's clock:
 * `GET /api/costs/daily?date=YYYY-MM-DD` (default today): `{period: 'day', ...CostUsage}`.
 * `GET /api/costs/monthly?month=YYYY-MM` (default this month): `{period: 'month', ...CostUsage}`
 * (CostUsage is the seed's shape: date, totalCost, apiCalls, tokens, models, unknownCostCalls).
 * `GET /api/costs/breakdown?by=model|agent|day|month|thread|task&since=&until=&agent=&model=&thread=`
 * (by defaults to model): `{by, since, until, rows, totals, budget}` with the budget status of today.
 */
export function costRoutes(deps: RestDeps): Route[] {
  const db = () => deps.node.readModel;
  const today = () => new Date(deps.now()).toISOString().slice(0, 10);
  return [
    {
      method: 'GET',
      path: '/api/costs/daily',
      handler: ({ query }) => {
        const q = parseQuery(query, { date: day() });
        return ok({ period: 'day', ...costUsage(db(), 'day', q.date ?? today()) });
      },
    },
    {
      method: 'GET',
      path: '/api/costs/monthly',
      handler: ({ query }) => {
        const q = parseQuery(query, { month: month() });
        return ok({ period: 'month', ...costUsage(db(), 'month', q.month ?? today().slice(0, 7)) });
      },
    },
    {
      method: 'GET',
      path: '/api/costs/breakdown',
      handler: ({ query }) => {
        const q = parseQuery(query, {
          by: oneOf(COST_DIMENSIONS),
          since: timeBound(),
          until: timeBound(),
          agent: text(),
          model: text(),
          thread: text(),
        });
        const by = q.by ?? 'model';
        const rows = costBy(db(), { ...q, by });
        return ok({
          by,
          since: q.since ?? null,
          until: q.until ?? null,
          rows,
          totals: totalsOf(rows),
          budget: budgetStatus(db(), { ...deps.costConfig, now: deps.now() }),
        });
      },
    },
  ];
}
