import type Database from 'better-sqlite3';
import { NANO_USD, STATS_COUNTERS, type StatsCounter } from './stats-projection.js';

/**
 * The seed's ServerStats in snake_case (start_time, active_agents, messages_processed, tokens_consumed,
 * average_cost_per_task, error_rate) with breakdowns. The seed's total_requests is not here: requests are
 * counted by the HTTP layer, not the event log.
 */
export type ServerStats = {
  /** `startTime` when given (the server's start), else the first agent or thread event's recordedAt; null before any. */
  start_time: string | null;
  /** Whole seconds from start_time to `now`; null without a start time. */
  uptime_seconds: number | null;
  /** recordedAt of the first and last agent or thread event the stats reflect. */
  first_event_at: string | null;
  last_event_at: string | null;
  /** Agents online (idle or busy): not offline, in error or retired. */
  active_agents: number;
  /** Messages posted to threads. */
  messages_processed: number;
  /** Prompt plus completion tokens of finished tasks (cached tokens are part of the prompt tokens). */
  tokens_consumed: number;
  /** Mean known cost (USD) of completed tasks that reported one; null when none did. */
  average_cost_per_task: number | null;
  /** Failed tasks / finished (completed + failed) tasks; null before any task finished. */
  error_rate: number | null;
  /** Agents ever announced, and how many are in each state now. */
  agents: { announced: number; active: number; offline: number; error: number; retired: number };
  /** Threads created; active: not closed yet (running, escalated or paused); closed: stopped for any reason. */
  threads: { created: number; active: number; closed: number };
  /** Tasks assigned, completed, failed, and still in flight (assigned, not finished). */
  tasks: { assigned: number; completed: number; failed: number; in_flight: number };
  /** Token usage reported by finished tasks (completed or failed). */
  tokens: { prompt: number; completion: number; cached: number; total: number };
  /** Sum of the known costs of finished tasks; how many finished tasks had a known cost and how many did not. */
  cost: { total_usd: number; costed_tasks: number; uncosted_tasks: number };
};

export type StatsOptions = {
  /** ISO time the server started; the first event's time when absent. */
  startTime?: string;
  /** Current time in ms for uptime (default `Date.now()`). */
  now?: number;
};

/** Reads the stats view (the `stats` projection must have been opened on `db`). */
export function getStats(db: Database.Database, options: StatsOptions = {}): ServerStats {
  const counters = Object.fromEntries(STATS_COUNTERS.map((name) => [name, 0])) as Record<
    StatsCounter,
    number
  >;
  for (const row of db
    .prepare<[], { name: string; value: number }>('SELECT name, value FROM stats_counters')
    .all()) {
    if (row.name in counters) counters[row.name as StatsCounter] = row.value;
  }
  const times = new Map(
    db
      .prepare<[], { name: string; value: string }>('SELECT name, value FROM stats_times')
      .all()
      .map((r) => [r.name, r.value]),
  );
  const agents = { online: 0, offline: 0, error: 0, retired: 0 };
  for (const row of db
    .prepare<[], { status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM stats_agents GROUP BY status',
    )
    .all()) {
    if (row.status in agents) agents[row.status as keyof typeof agents] = row.n;
  }
  const threads = db
    .prepare<[], { created: number; closed: number | null }>(
      'SELECT COUNT(*) AS created, SUM(closed) AS closed FROM stats_threads',
    )
    .get()!;
  const closed = threads.closed ?? 0;
  const c = counters;
  const finished = c.tasks_completed + c.tasks_failed;
  const firstEventAt = times.get('first_event_at') ?? null;
  const startTime = options.startTime ?? firstEventAt;
  const started = startTime === null ? NaN : Date.parse(startTime);
  return {
    start_time: startTime,
    uptime_seconds: Number.isNaN(started)
      ? null
      : Math.max(0, Math.floor(((options.now ?? Date.now()) - started) / 1000)),
    first_event_at: firstEventAt,
    last_event_at: times.get('last_event_at') ?? null,
    active_agents: agents.online,
    messages_processed: c.messages_posted,
    tokens_consumed: c.prompt_tokens + c.completion_tokens,
    average_cost_per_task:
      c.completed_costed_tasks === 0 ? null : c.completed_cost_nano_usd / c.completed_costed_tasks / NANO_USD,
    error_rate: finished === 0 ? null : c.tasks_failed / finished,
    agents: {
      announced: agents.online + agents.offline + agents.error + agents.retired,
      active: agents.online,
      offline: agents.offline,
      error: agents.error,
      retired: agents.retired,
    },
    threads: { created: threads.created, active: threads.created - closed, closed },
    tasks: {
      assigned: c.tasks_assigned,
      completed: c.tasks_completed,
      failed: c.tasks_failed,
      in_flight: c.tasks_assigned - finished,
    },
    tokens: {
      prompt: c.prompt_tokens,
      completion: c.completion_tokens,
      cached: c.cached_tokens,
      total: c.prompt_tokens + c.completion_tokens,
    },
    cost: {
      total_usd: c.cost_nano_usd / NANO_USD,
      costed_tasks: c.costed_tasks,
      uncosted_tasks: c.uncosted_tasks,
    },
  };
}
