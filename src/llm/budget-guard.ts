import { roundUsd } from '../projections/cost/cost-queries.js';

export type BudgetPeriod = 'day' | 'month' | 'task';

/** One known cost already spent: what the ledger starts from. */
export interface SpendFact {
  agentId: string | null;
  taskId: string | null;
  /** ISO-8601 time of the spend; its UTC day and month place it. */
  at: string;
  costUsd: number;
}

/** The limits that apply to one call (USD; null: no limit). */
export interface CallLimits {
  dailyUsd: number | null;
  monthlyUsd: number | null;
  agentDailyUsd: number | null;
  agentMonthlyUsd: number | null;
  perTaskUsd: number | null;
}

export interface ReserveRequest {
  agentId: string;
  taskId: string;
  /** The most the call can cost; null when the model's price is unknown. */
  worstCaseUsd: number | null;
  limits: CallLimits;
}

/** A limit reached or refused: the payload of a CostWarningRecorded event. */
export interface BudgetCrossing {
  agent_id: string | null;
  period: BudgetPeriod;
  period_key: string;
  level: 'warning' | 'exceeded';
  limit_usd: number;
  spent_usd: number;
  at: string;
}

/** Money set aside for one call in flight; settle or release it exactly once. */
export interface Reservation {
  readonly amountUsd: number;
  readonly keys: readonly string[];
  done: boolean;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation }
  | {
      ok: false;
      /** The first limit the call would break. */
      refusal: {
        agent_id: string | null;
        period: BudgetPeriod;
        period_key: string;
        limit_usd: number;
        spent_usd: number;
        reserved_usd: number;
        requested_usd: number | null;
      };
      crossings: BudgetCrossing[];
    };

interface Entry {
  spent: number;
  reserved: number;
}

interface Scope {
  key: string;
  agentId: string | null;
  period: BudgetPeriod;
  periodKey: string;
  limit: number | null;
}

export interface BudgetGuardOptions {
  warningThreshold: number;
  now?: () => number;
  /** Known costs spent so far this month (from the event log or the cost view), read once. */
  baseline: () => Promise<Iterable<SpendFact>>;
}

/**
 * The budget guard: a ledger of spent and reserved USD per scope (the node's day and month, each
 * agent's day and month, each task), asked before every call.
 *
 * `reserve` sets the call's worst case aside in every scope it touches, but only if, in each scope
 * that has a limit, spent + reserved + worst case stays within the limit; otherwise nothing is
 * reserved and the call must not be made (COST_LIMIT_EXCEEDED). Check and reservation are one
 * synchronous step, so concurrent calls cannot together overspend: as long as each call costs at
 * most its worst case, the settled total never exceeds a limit. `settle` replaces the reservation
 * with the actual cost (an unknown cost adds nothing: it cannot be counted), `release` drops it
 * (the call failed). A call of unknown price reserves nothing and is refused only once a limit is
 * already used up.
 *
 * Crossings of the warning threshold and of the limit (settled spend), and refusals (level
 * `exceeded`), are returned once per scope and period for CostWarningRecorded events.
 */
export class BudgetGuard {
  readonly #entries = new Map<string, Entry>();
  readonly #warned = new Set<string>();
  readonly #threshold: number;
  readonly #now: () => number;
  readonly #baseline: () => Promise<Iterable<SpendFact>>;
  #ready: Promise<void> | undefined;
  #month = '';

  constructor(options: BudgetGuardOptions) {
    this.#threshold = options.warningThreshold;
    this.#now = options.now ?? Date.now;
    this.#baseline = options.baseline;
  }

  /** Loads the baseline (once; a failed load is tried again on the next call). */
  ready(): Promise<void> {
    this.#ready ??= this.#load().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    await this.ready();
    const at = new Date(this.#now()).toISOString();
    this.#rollOver(at);
    const scopes = scopesOf(request.agentId, request.taskId, at, request.limits);
    const amount = request.worstCaseUsd ?? 0;
    for (const scope of scopes) {
      if (scope.limit === null) continue;
      const entry = this.#entry(scope.key);
      const after =
        request.worstCaseUsd === null ? entry.spent + entry.reserved : entry.spent + entry.reserved + amount;
      const over = request.worstCaseUsd === null ? after >= scope.limit : after > scope.limit + 1e-12;
      if (over) {
        return {
          ok: false,
          refusal: {
            agent_id: scope.agentId,
            period: scope.period,
            period_key: scope.periodKey,
            limit_usd: scope.limit,
            spent_usd: roundUsd(entry.spent),
            reserved_usd: roundUsd(entry.reserved),
            requested_usd: request.worstCaseUsd,
          },
          crossings: this.#crossed(scope, entry.spent, at, true),
        };
      }
    }
    for (const scope of scopes) this.#entry(scope.key).reserved += amount;
    return { ok: true, reservation: { amountUsd: amount, keys: scopes.map((s) => s.key), done: false } };
  }

  /**
   * Replaces the reservation with the actual cost (null: unknown, nothing added) and returns the
   * thresholds this spend crossed, given the limits of the call.
   */
  settle(reservation: Reservation, actualUsd: number | null, request: ReserveRequest): BudgetCrossing[] {
    if (reservation.done) return [];
    reservation.done = true;
    const at = new Date(this.#now()).toISOString();
    for (const key of reservation.keys) {
      const entry = this.#entry(key);
      entry.reserved = Math.max(0, roundUsd(entry.reserved - reservation.amountUsd));
    }
    if (actualUsd === null) return [];
    const crossings: BudgetCrossing[] = [];
    // The spend lands in the periods the reservation was made in, even if midnight passed meanwhile.
    for (const key of reservation.keys) {
      const entry = this.#entry(key);
      entry.spent = roundUsd(entry.spent + actualUsd);
    }
    for (const scope of scopesOf(request.agentId, request.taskId, at, request.limits)) {
      if (!reservation.keys.includes(scope.key)) continue;
      crossings.push(...this.#crossed(scope, this.#entry(scope.key).spent, at, false));
    }
    return crossings;
  }

  /** Drops the reservation of a call that cost nothing known (it failed or was never sent). */
  release(reservation: Reservation): void {
    if (reservation.done) return;
    reservation.done = true;
    for (const key of reservation.keys) {
      const entry = this.#entry(key);
      entry.reserved = Math.max(0, roundUsd(entry.reserved - reservation.amountUsd));
    }
  }

  /**
   * The task's run has ended (its call settled, released or refused): its per-task scope closes. A
   * task id the agent is given again later (once out of its recent tasks) is a new task with a budget
   * of its own. Without this every task's entry stayed until the month changed (about 200 B a task);
   * one that ended across a month boundary is forgotten by the new month's roll-over instead.
   */
  forgetTask(agentId: string, taskId: string): void {
    const key = taskKey(agentId, taskId, new Date(this.#now()).toISOString().slice(0, 7));
    if ((this.#entries.get(key)?.reserved ?? 0) !== 0) return;
    this.#entries.delete(key);
    this.#warned.delete(`${key}|warning`);
    this.#warned.delete(`${key}|exceeded`);
  }

  /** Scopes the guard holds spend or reservations for (what tests look at). */
  get scopeCount(): number {
    return this.#entries.size;
  }

  /** Spent and reserved USD of a scope now (agent null: the whole node). */
  usage(agentId: string | null, period: BudgetPeriod, taskId?: string): { spent: number; reserved: number } {
    const at = new Date(this.#now()).toISOString();
    const month = at.slice(0, 7);
    const key =
      period === 'task'
        ? taskKey(agentId, taskId ?? '', month)
        : keyOf(agentId, period, period === 'day' ? at.slice(0, 10) : month);
    const entry = this.#entries.get(key);
    return { spent: roundUsd(entry?.spent ?? 0), reserved: roundUsd(entry?.reserved ?? 0) };
  }

  async #load(): Promise<void> {
    const month = new Date(this.#now()).toISOString().slice(0, 7);
    for (const fact of await this.#baseline()) {
      if (fact.at.slice(0, 7) !== month || !(fact.costUsd > 0)) continue;
      const limits = {
        dailyUsd: null,
        monthlyUsd: null,
        agentDailyUsd: null,
        agentMonthlyUsd: null,
        perTaskUsd: null,
      };
      const keys = new Set(scopesOf(fact.agentId, fact.taskId, fact.at, limits).map((scope) => scope.key));
      for (const key of keys) {
        const entry = this.#entry(key);
        entry.spent = roundUsd(entry.spent + fact.costUsd);
      }
    }
    this.#month = month;
  }

  /** A new month forgets the finished periods that no call holds a reservation in. */
  #rollOver(at: string): void {
    const month = at.slice(0, 7);
    if (month === this.#month) return;
    this.#month = month;
    for (const [key, entry] of this.#entries) {
      if (entry.reserved === 0 && !key.includes(`|${month}`)) this.#entries.delete(key);
    }
    for (const key of this.#warned) if (!key.includes(`|${month}`)) this.#warned.delete(key);
  }

  #entry(key: string): Entry {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { spent: 0, reserved: 0 };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  #crossed(scope: Scope, spent: number, at: string, refused: boolean): BudgetCrossing[] {
    if (scope.limit === null) return [];
    const levels: ('warning' | 'exceeded')[] = [];
    if (!refused && spent >= scope.limit * this.#threshold) levels.push('warning');
    if (refused || spent >= scope.limit) levels.push('exceeded');
    const crossings: BudgetCrossing[] = [];
    for (const level of levels) {
      const id = `${scope.key}|${level}`;
      if (this.#warned.has(id)) continue;
      this.#warned.add(id);
      crossings.push({
        agent_id: scope.agentId,
        period: scope.period,
        period_key: scope.periodKey,
        level,
        limit_usd: scope.limit,
        spent_usd: roundUsd(spent),
        at,
      });
    }
    return crossings;
  }
}

function keyOf(agentId: string | null, period: BudgetPeriod, periodKey: string): string {
  return `${agentId ?? '*'}|${period}|${periodKey}`;
}

/** A task's scope is keyed by month as well, so that a new month forgets it (see #rollOver). */
function taskKey(agentId: string | null, taskId: string, month: string): string {
  return `${keyOf(agentId, 'task', taskId)}|${month}`;
}

/** The scopes a call touches; tasks are keyed by agent and task id, and by month for forgetting. */
function scopesOf(agentId: string | null, taskId: string | null, at: string, limits: CallLimits): Scope[] {
  const day = at.slice(0, 10);
  const month = at.slice(0, 7);
  const scopes: Scope[] = [
    { key: keyOf(null, 'day', day), agentId: null, period: 'day', periodKey: day, limit: limits.dailyUsd },
    {
      key: keyOf(null, 'month', month),
      agentId: null,
      period: 'month',
      periodKey: month,
      limit: limits.monthlyUsd,
    },
  ];
  if (agentId !== null) {
    scopes.push(
      {
        key: keyOf(agentId, 'day', day),
        agentId,
        period: 'day',
        periodKey: day,
        limit: limits.agentDailyUsd,
      },
      {
        key: keyOf(agentId, 'month', month),
        agentId,
        period: 'month',
        periodKey: month,
        limit: limits.agentMonthlyUsd,
      },
    );
    if (taskId !== null) {
      scopes.push({
        key: taskKey(agentId, taskId, month),
        agentId,
        period: 'task',
        periodKey: taskId,
        limit: limits.perTaskUsd,
      });
    }
  }
  return scopes;
}
