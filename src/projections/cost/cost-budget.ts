import type Database from 'better-sqlite3';
import { invalid, roundUsd } from './cost-queries.js';

/**
 * Budget status over the cost view: what the node and each agent spent in the UTC day and month of
 * `now`, against the limits (the node's configured ones, each agent's own from its profile).
 */

/** The seed's cost tracker settings (USD; the threshold is a fraction of a limit). */
export interface CostTrackerConfig {
  dailyLimit: number;
  monthlyLimit: number;
  warningThreshold: number;
}

/** DAILY_COST_LIMIT, MONTHLY_COST_LIMIT and COST_WARNING_THRESHOLD of the seed. */
export const DEFAULT_COST_CONFIG: Readonly<CostTrackerConfig> = {
  dailyLimit: 100,
  monthlyLimit: 1000,
  warningThreshold: 0.8,
};

export interface BudgetLimits {
  daily: number | null;
  monthly: number | null;
  per_task: number | null;
}

export interface BudgetLine {
  spent_today: number;
  spent_month: number;
  unknown_cost_calls_today: number;
  unknown_cost_calls_month: number;
  limits: BudgetLimits;
  /** What is left under each limit (never below 0); null without that limit. */
  remaining: { daily: number | null; monthly: number | null };
  /** Spend has reached the warning threshold of the daily or monthly limit. */
  warning: boolean;
  /** Spend has reached the daily or monthly limit: nothing is left. */
  exceeded: boolean;
}

export interface AgentBudget extends BudgetLine {
  agent_id: string;
}

export interface BudgetStatus {
  day: string;
  month: string;
  warning_threshold: number;
  /** The node against the configured limits. */
  overall: BudgetLine;
  /** Agents with limits in their profile or with usage this month, by id; limits from their profile. */
  agents: AgentBudget[];
}

interface SpendRow {
  agent_id: string | null;
  today: number;
  month: number;
  unknown_today: number;
  unknown_month: number;
}

function budgetLine(spend: SpendRow | undefined, limits: BudgetLimits, threshold: number): BudgetLine {
  const today = roundUsd(spend?.today ?? 0);
  const month = roundUsd(spend?.month ?? 0);
  const checks: [number, number | null][] = [
    [today, limits.daily],
    [month, limits.monthly],
  ];
  const remaining = (spent: number, limit: number | null) =>
    limit === null ? null : roundUsd(Math.max(0, limit - spent));
  return {
    spent_today: today,
    spent_month: month,
    unknown_cost_calls_today: spend?.unknown_today ?? 0,
    unknown_cost_calls_month: spend?.unknown_month ?? 0,
    limits,
    remaining: { daily: remaining(today, limits.daily), monthly: remaining(month, limits.monthly) },
    warning: checks.some(([spent, limit]) => limit !== null && spent >= limit * threshold),
    exceeded: checks.some(([spent, limit]) => limit !== null && spent >= limit),
  };
}

/**
 * Spend of the UTC day and month of `now` against the configured limits (overall) and against each
 * agent's profile limits. Missing settings take the seed's defaults ({@link DEFAULT_COST_CONFIG}).
 */
export function budgetStatus(
  db: Database.Database,
  options: Partial<CostTrackerConfig> & { now?: Date | string | number } = {},
): BudgetStatus {
  const config = { ...DEFAULT_COST_CONFIG, ...definedOnly(options) };
  const now = new Date(options.now ?? Date.now());
  if (Number.isNaN(now.getTime())) throw invalid('now is not a valid time', 'now', String(options.now));
  const day = now.toISOString().slice(0, 10);
  const month = day.slice(0, 7);
  const spendSql = `TOTAL(CASE WHEN day = @day THEN cost_usd END) AS today, TOTAL(cost_usd) AS month,
    SUM(CASE WHEN day = @day THEN 1 - cost_known ELSE 0 END) AS unknown_today,
    SUM(1 - cost_known) AS unknown_month`;
  const overall = db
    .prepare(`SELECT NULL AS agent_id, ${spendSql} FROM cost_facts WHERE month = @month`)
    .get({ day, month }) as SpendRow | undefined;
  const perAgent = db
    .prepare(
      `SELECT agent_id, ${spendSql} FROM cost_facts WHERE month = @month AND agent_id IS NOT NULL GROUP BY agent_id`,
    )
    .all({ day, month }) as SpendRow[];
  const limits = db
    .prepare('SELECT agent_id, daily_usd, monthly_usd, per_task_usd FROM cost_limits')
    .all() as {
    agent_id: string;
    daily_usd: number | null;
    monthly_usd: number | null;
    per_task_usd: number | null;
  }[];
  const spendByAgent = new Map(perAgent.map((row) => [row.agent_id!, row]));
  const limitsByAgent = new Map(limits.map((row) => [row.agent_id, row]));
  const ids = [...new Set([...spendByAgent.keys(), ...limitsByAgent.keys()])].sort();
  return {
    day,
    month,
    warning_threshold: config.warningThreshold,
    overall: budgetLine(
      overall && overall.unknown_month !== null ? overall : undefined,
      { daily: config.dailyLimit, monthly: config.monthlyLimit, per_task: null },
      config.warningThreshold,
    ),
    agents: ids.map((agentId) => {
      const own = limitsByAgent.get(agentId);
      return {
        agent_id: agentId,
        ...budgetLine(
          spendByAgent.get(agentId),
          {
            daily: own?.daily_usd ?? null,
            monthly: own?.monthly_usd ?? null,
            per_task: own?.per_task_usd ?? null,
          },
          config.warningThreshold,
        ),
      };
    }),
  };
}

function definedOnly(options: Partial<CostTrackerConfig>): Partial<CostTrackerConfig> {
  const result: Partial<CostTrackerConfig> = {};
  if (options.dailyLimit !== undefined) result.dailyLimit = options.dailyLimit;
  if (options.monthlyLimit !== undefined) result.monthlyLimit = options.monthlyLimit;
  if (options.warningThreshold !== undefined) result.warningThreshold = options.warningThreshold;
  return result;
}
