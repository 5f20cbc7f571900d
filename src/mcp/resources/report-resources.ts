import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { costBy } from '../../projections/cost/cost-queries.js';
import { budgetStatus } from '../../projections/cost/cost-budget.js';
import { getStats } from '../../projections/stats/stats-queries.js';
import { type McpContext, readViews } from '../mcp-context.js';
import { COST_REPORT_URI, STATS_REPORT_URI } from './resource-uris.js';

/** `bzzz://reports/stats` and `bzzz://reports/cost`: the stats and cost views, JSON. */
export function registerReportResources(server: McpServer, context: McpContext): void {
  server.registerResource(
    'stats-report',
    STATS_REPORT_URI,
    {
      title: 'Server statistics',
      description: 'Agents, threads, tasks, tokens, cost and error rate, from the stats view.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await readViews(context, ['stats']);
      return json(uri, getStats(context.readModel, { now: context.now() }));
    },
  );
  server.registerResource(
    'cost-report',
    COST_REPORT_URI,
    {
      title: 'Cost report',
      description: 'LLM usage and spend by day and by model, and spend against the daily and monthly limits.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await readViews(context, ['cost']);
      return json(uri, {
        by_day: costBy(context.readModel, { by: 'day' }),
        by_model: costBy(context.readModel, { by: 'model' }),
        budget: budgetStatus(context.readModel, { now: context.now() }),
      });
    },
  );
}

function json(uri: URL, value: unknown) {
  return {
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
  };
}
