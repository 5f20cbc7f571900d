import type { CostLimits } from '../actors/agent/agent-events.js';
import type { CallLimits, ReserveResult } from './budget-guard.js';
import type { BudgetLimits } from './llm-config.js';

/**
 * The limits of one call: the node's daily and monthly limits always; the agent's own limits from its
 * profile (`cost_limits`) where it has them, else the node's per-agent daily and per-task defaults.
 */
export function callLimitsFor(node: BudgetLimits, own: CostLimits | null): CallLimits {
  return {
    dailyUsd: node.dailyUsd,
    monthlyUsd: node.monthlyUsd,
    agentDailyUsd: own?.daily_usd ?? node.agentDailyUsd,
    agentMonthlyUsd: own?.monthly_usd ?? null,
    perTaskUsd: own?.per_task_usd ?? node.perTaskUsd,
  };
}

type Refusal = Extract<ReserveResult, { ok: false }>['refusal'];

/** The one-line reason of a COST_LIMIT_EXCEEDED: which limit, what is spent and reserved, what was asked. */
export function refusalReason(refusal: Refusal): string {
  const key = refusal.period_key;
  const span =
    refusal.period === 'task'
      ? `per-task (${key})`
      : `${refusal.period === 'day' ? 'daily' : 'monthly'} (${key})`;
  const whose =
    refusal.period === 'task'
      ? 'the'
      : refusal.agent_id === null
        ? "the node's"
        : `agent ${refusal.agent_id}'s`;
  const asked =
    refusal.requested_usd === null ? 'nothing is left' : `this call may cost up to $${refusal.requested_usd}`;
  return (
    `cost limit exceeded: ${whose} ${span} limit is $${refusal.limit_usd}, $${refusal.spent_usd} spent and ` +
    `$${refusal.reserved_usd} reserved by calls in flight; ${asked}`
  );
}
