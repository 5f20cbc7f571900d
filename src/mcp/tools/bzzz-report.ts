import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { JsonObject } from '../../events/json.js';
import { COST_DIMENSIONS, costBy, roundUsd } from '../../projections/cost/cost-queries.js';
import { budgetStatus } from '../../projections/cost/cost-budget.js';
import { getStats } from '../../projections/stats/stats-queries.js';
import { listThreads } from '../../projections/threads/threads-queries.js';
import { type McpContext, readViews, type ViewName } from '../mcp-context.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { actorIdSchema, agentIdSchema } from './actor-ids.js';
import { THREAD_LIST_STATUSES } from './thread-args.js';

export const REPORTS = ['cost', 'threads', 'stats'] as const;
type Report = (typeof REPORTS)[number];

const timeBound = z.string().min(1).max(64);

const inputSchema = {
  report: z
    .enum(REPORTS)
    .describe('cost: LLM usage and spend; threads: threads by status; stats: server statistics'),
  by: z
    .enum(COST_DIMENSIONS)
    .default('day')
    .describe('cost: group by model, agent, day, month, thread or task'),
  since: timeBound
    .optional()
    .describe('cost: from this UTC day (YYYY-MM-DD) or instant (ISO date-time with zone)'),
  until: timeBound.optional().describe('cost: up to this UTC day (inclusive) or instant'),
  agent_id: agentIdSchema.optional().describe("cost: one agent's usage; threads: threads it takes part in"),
  model: z.string().min(1).max(128).optional().describe('cost: one model'),
  thread_id: actorIdSchema.optional().describe('cost: one thread'),
  include_budget: z.boolean().default(false).describe('cost: add spend against the daily and monthly limits'),
  status: z.enum(THREAD_LIST_STATUSES).optional().describe('threads: only this status'),
  project: z.string().min(1).max(128).optional().describe('threads: only this project'),
  limit: z.number().int().min(1).max(500).optional().describe('threads: page size (default 50)'),
  cursor: z.string().min(1).max(1024).optional().describe("threads: a previous page's next_cursor"),
};

const outputSchema = {
  success: z.literal(true),
  report: z.enum(REPORTS),
  result: z.record(z.string(), z.unknown()),
  generated_at: z.string(),
};

type Args = z.output<z.ZodObject<typeof inputSchema>>;

const BUILDERS: Record<Report, (context: McpContext, args: Args) => JsonObject> = {
  cost: costReport,
  threads: threadsReport,
  stats: (context) => ({ ...getStats(context.readModel, { now: context.now() }) }),
};

/** The views each report reads (read-your-writes waits for those). */
const REPORT_VIEWS: Record<Report, readonly ViewName[]> = {
  cost: ['cost'],
  threads: ['threads', 'stats'],
  stats: ['stats'],
};

/** bzzz_report: reports from the read models (cost, threads, stats). Read-only. */
export function registerReport(server: McpServer, context: McpContext): void {
  server.registerTool(
    'bzzz_report',
    {
      title: 'Report',
      description:
        'Reports from the read models. cost: usage grouped by model, agent, day, month, thread or task (since, until, agent_id, model, thread_id; include_budget adds spend against limits). threads: threads by status (status, agent_id, project, limit, cursor) with totals. stats: server statistics (agents, threads, tasks, tokens, cost, error rate).',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        await readViews(context, REPORT_VIEWS[args.report]);
        const structured = {
          success: true as const,
          report: args.report,
          result: BUILDERS[args.report](context, args),
          generated_at: new Date(context.now()).toISOString(),
        } satisfies JsonObject;
        return toolSuccess(structured, `${args.report} report`);
      }),
  );
}

function costReport(context: McpContext, args: Args): JsonObject {
  const filters = {
    ...(args.since === undefined ? {} : { since: args.since }),
    ...(args.until === undefined ? {} : { until: args.until }),
    ...(args.agent_id === undefined ? {} : { agent: args.agent_id }),
    ...(args.model === undefined ? {} : { model: args.model }),
    ...(args.thread_id === undefined ? {} : { thread: args.thread_id }),
  };
  const rows = costBy(context.readModel, { by: args.by, ...filters });
  let cost: number | null = null;
  const totals = { calls: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, unknown_cost_calls: 0 };
  for (const row of rows) {
    totals.calls += row.calls;
    totals.prompt_tokens += row.prompt_tokens;
    totals.completion_tokens += row.completion_tokens;
    totals.total_tokens += row.total_tokens;
    totals.unknown_cost_calls += row.unknown_cost_calls;
    if (row.cost_usd !== null) cost = roundUsd((cost ?? 0) + row.cost_usd);
  }
  const report: JsonObject = {
    by: args.by,
    filters,
    rows: rows.map((row) => ({ ...row })),
    totals: { ...totals, cost_usd: cost },
  };
  if (args.include_budget) {
    report.budget = JSON.parse(
      JSON.stringify(budgetStatus(context.readModel, { now: context.now() })),
    ) as JsonObject;
  }
  return report;
}

function threadsReport(context: McpContext, args: Args): JsonObject {
  const page = listThreads(context.readModel, {
    ...(args.status === undefined ? {} : { status: args.status }),
    ...(args.agent_id === undefined ? {} : { participant: args.agent_id }),
    ...(args.project === undefined ? {} : { project: args.project }),
    ...(args.limit === undefined ? {} : { limit: args.limit }),
    ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
  });
  const { threads } = getStats(context.readModel, { now: context.now() });
  return {
    totals: { ...threads },
    items: page.items.map((item) => ({ ...item })),
    next_cursor: page.next_cursor,
  };
}
