import type Database from 'better-sqlite3';
import { BzzzError } from '../../errors.js';

/**
 * Queries over the cost view (see cost-projection.ts). Amounts are USD summed over the facts whose cost
 * is known; facts of unknown cost are counted apart (`unknown_cost_calls`), never as zero. Tokens:
 * `total_tokens` = prompt + completion (cached tokens are part of the prompt, reasoning tokens part of
 * the completion, as the OpenAI usage reports them). Days and months are UTC.
 */

export const COST_DIMENSIONS = ['model', 'agent', 'day', 'month', 'thread', 'task'] as const;
export type CostDimension = (typeof COST_DIMENSIONS)[number];

const KEY_COLUMN: Record<CostDimension, string> = {
  model: 'model',
  agent: 'agent_id',
  day: 'day',
  month: 'month',
  thread: 'thread_id',
  task: 'task_id',
};

export interface CostByOptions {
  by: CostDimension;
  /** Inclusive: an ISO date (from the start of that UTC day) or a date-time with a zone. */
  since?: string;
  /** Inclusive: an ISO date (to the end of that UTC day) or a date-time with a zone. */
  until?: string;
  agent?: string;
  model?: string;
  thread?: string;
}

/** One group of usage facts. */
export interface CostRow {
  /** The model, agent id, day, month, thread id or task id; null for facts without one. */
  key: string | null;
  /** Usage facts: one per LLM call, or one per task when only the task's summary is known. */
  calls: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Sum of the known costs; null when no fact of the group has a known cost. */
  cost_usd: number | null;
  unknown_cost_calls: number;
}

/** The seed's CostUsage shape, plus the count of calls whose cost is unknown (not in `totalCost`). */
export interface CostUsage {
  date: string;
  totalCost: number;
  apiCalls: number;
  tokens: { prompt: number; completion: number; total: number };
  models: Record<string, { calls: number; cost: number; tokens: number }>;
  unknownCostCalls: number;
}

export interface CostWarningRow {
  agent_id: string;
  period: 'day' | 'month' | 'task';
  period_key: string;
  level: 'warning' | 'exceeded';
  limit_usd: number;
  spent_usd: number;
  at: string;
  source: 'derived' | 'event';
}

/** A parsed `since` / `until` value. */
export interface TimeBound {
  /** Normalized ISO-8601 UTC instant (the start of the day for a date). */
  iso: string;
  /** Its UTC day. */
  day: string;
  dateOnly: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Rounds away binary noise of float sums (0.1 + 0.2) while keeping micro-cent amounts. */
export function roundUsd(value: number): number {
  return Number(value.toPrecision(12));
}

function isCalendarDate(value: string): boolean {
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

export function invalid(message: string, parameter: string, value: string): BzzzError {
  return new BzzzError('INVALID_PARAMETERS', message, { parameter, value });
}

/**
 * Parses an ISO date (YYYY-MM-DD, a UTC day) or an ISO date-time with a zone; `label` names the
 * parameter in the error (INVALID_PARAMETERS) otherwise.
 */
export function parseTimeBound(value: string, label: string): TimeBound {
  if (DATE.test(value) && isCalendarDate(value)) {
    return { iso: `${value}T00:00:00.000Z`, day: value, dateOnly: true };
  }
  const match = DATE_TIME.exec(value);
  const ms = Date.parse(value);
  if (match && isCalendarDate(match[1]!) && Number.isFinite(ms)) {
    const iso = new Date(ms).toISOString();
    return { iso, day: iso.slice(0, 10), dateOnly: false };
  }
  throw invalid(
    `${label} "${value}" is not an ISO date (YYYY-MM-DD) or date-time with a zone (YYYY-MM-DDTHH:MM[:SS]Z)`,
    label,
    value,
  );
}

/** The end of a time bound as an exclusive instant, for comparing ranges. */
function endOf(bound: TimeBound): number {
  return bound.dateOnly ? Date.parse(bound.iso) + 86_400_000 : Date.parse(bound.iso) + 1;
}

interface Where {
  sql: string;
  params: (string | number)[];
}

function whereOf(options: Omit<CostByOptions, 'by'>): Where {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const since = options.since === undefined ? undefined : parseTimeBound(options.since, 'since');
  const until = options.until === undefined ? undefined : parseTimeBound(options.until, 'until');
  if (since && until && Date.parse(since.iso) >= endOf(until)) {
    throw invalid(`since "${options.since}" is after until "${options.until}"`, 'since', options.since!);
  }
  if (since) {
    // The day condition takes the day index's range; the instant refines it within the first day.
    clauses.push('day >= ?');
    params.push(since.day);
    if (!since.dateOnly) {
      clauses.push('at >= ?');
      params.push(since.iso);
    }
  }
  if (until) {
    clauses.push('day <= ?');
    params.push(until.day);
    if (!until.dateOnly) {
      clauses.push('at <= ?');
      params.push(until.iso);
    }
  }
  for (const [column, value] of [
    ['agent_id', options.agent],
    ['model', options.model],
    ['thread_id', options.thread],
  ] as const) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

interface AggregateRow {
  key: string | null;
  calls: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost_usd: number | null;
  unknown_cost_calls: number;
}

const AGGREGATES = `COUNT(*) AS calls, SUM(prompt_tokens) AS prompt_tokens, SUM(cached_tokens) AS cached_tokens,
  SUM(completion_tokens) AS completion_tokens, SUM(cost_usd) AS cost_usd,
  SUM(1 - cost_known) AS unknown_cost_calls`;

function toCostRow(row: AggregateRow): CostRow {
  return {
    key: row.key,
    calls: row.calls,
    prompt_tokens: row.prompt_tokens,
    cached_tokens: row.cached_tokens,
    completion_tokens: row.completion_tokens,
    total_tokens: row.prompt_tokens + row.completion_tokens,
    cost_usd: row.cost_usd === null ? null : roundUsd(row.cost_usd),
    unknown_cost_calls: row.unknown_cost_calls,
  };
}

/**
 * Usage grouped by one dimension, filtered by time range, agent, model and thread. Days and months come
 * in ascending order; other dimensions by cost, highest first (groups of unknown cost last), then by
 * calls and key.
 */
export function costBy(db: Database.Database, options: CostByOptions): CostRow[] {
  const column = Object.hasOwn(KEY_COLUMN, options.by) ? KEY_COLUMN[options.by] : undefined;
  if (column === undefined) {
    throw invalid(
      `cannot group cost by "${String(options.by)}"; accepted: ${COST_DIMENSIONS.join(', ')}`,
      'by',
      String(options.by),
    );
  }
  const where = whereOf(options);
  const order =
    options.by === 'day' || options.by === 'month'
      ? 'key ASC'
      : 'cost_usd IS NULL, cost_usd DESC, calls DESC, key IS NULL, key ASC';
  const rows = db
    .prepare(
      `SELECT ${column} AS key, ${AGGREGATES} FROM cost_facts ${where.sql} GROUP BY ${column} ORDER BY ${order}`,
    )
    .all(...where.params) as AggregateRow[];
  return rows.map(toCostRow);
}

/** Whether `value` is a UTC day (`'day'`) or month (`'month'`); a date-time's day or month is taken too. */
function periodKey(period: 'day' | 'month', date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw invalid('date is an invalid Date', 'date', String(date));
    return date.toISOString().slice(0, period === 'day' ? 10 : 7);
  }
  if (period === 'month' && MONTH.test(date) && isCalendarDate(`${date}-01`)) return date;
  const bound = (() => {
    try {
      return parseTimeBound(date, 'date');
    } catch {
      return undefined;
    }
  })();
  if (!bound) {
    throw invalid(
      `date "${date}" is not ${period === 'day' ? 'a day (YYYY-MM-DD)' : 'a month (YYYY-MM)'}`,
      'date',
      date,
    );
  }
  return period === 'day' ? bound.day : bound.day.slice(0, 7);
}

/** The seed's CostUsage of one UTC day or month; models without a name are under `unknown`. */
export function costUsage(db: Database.Database, period: 'day' | 'month', date: string | Date): CostUsage {
  const key = periodKey(period, date);
  const rows = db
    .prepare(
      `SELECT model AS key, ${AGGREGATES} FROM cost_facts WHERE ${period} = ? GROUP BY model ORDER BY model`,
    )
    .all(key) as AggregateRow[];
  const usage: CostUsage = {
    date: key,
    totalCost: 0,
    apiCalls: 0,
    tokens: { prompt: 0, completion: 0, total: 0 },
    models: {},
    unknownCostCalls: 0,
  };
  let total = 0;
  for (const row of rows) {
    const name = row.key ?? 'unknown';
    const previous = usage.models[name];
    const cost = row.cost_usd ?? 0;
    usage.models[name] = {
      calls: (previous?.calls ?? 0) + row.calls,
      cost: roundUsd((previous?.cost ?? 0) + cost),
      tokens: (previous?.tokens ?? 0) + row.prompt_tokens + row.completion_tokens,
    };
    total += cost;
    usage.apiCalls += row.calls;
    usage.unknownCostCalls += row.unknown_cost_calls;
    usage.tokens.prompt += row.prompt_tokens;
    usage.tokens.completion += row.completion_tokens;
  }
  usage.tokens.total = usage.tokens.prompt + usage.tokens.completion;
  usage.totalCost = roundUsd(total);
  return usage;
}

/** Recorded threshold crossings (derived from profile limits, or from CostWarningRecorded events), in order. */
export function costWarnings(
  db: Database.Database,
  options: { agent?: string; since?: string } = {},
): CostWarningRow[] {
  const clauses: string[] = [];
  const params: string[] = [];
  if (options.agent !== undefined) {
    clauses.push('agent_id = ?');
    params.push(options.agent);
  }
  if (options.since !== undefined) {
    clauses.push('at >= ?');
    params.push(parseTimeBound(options.since, 'since').iso);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db
    .prepare(
      `SELECT agent_id, period, period_key, level, limit_usd, spent_usd, at, source FROM cost_warnings ${where}
       ORDER BY position, agent_id, period, level DESC`,
    )
    .all(...params) as CostWarningRow[];
}
