import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../events/types.js';
import type { ProjectionDefinition, ProjectionWriter } from '../projection.js';
import { roundUsd } from './cost-queries.js';
import { DEFAULT_COST_CONFIG } from './cost-budget.js';
import { COST_VIEW_VERSION, clearCostTables, createCostSchema } from './cost-schema.js';

/**
 * The `cost` read model: one fact per usage report, folded from `$all`; queries in cost-queries.ts.
 *
 * Where usage comes from:
 * - `TaskCompleted` / `TaskFailed` (stream `agent-<id>`) carry the usage of a whole task. Its thread and
 *   type come from the task's `TaskAssigned`; its model is the agent's model (latest AgentAnnounced /
 *   AgentProfileUpdated) when the task was assigned, or null. A TaskFailed without usage is no fact.
 * - `LlmUsageRecorded` {agent_id, task_id, thread_id, model, prompt_tokens, cached_tokens,
 *   completion_tokens, reasoning_tokens, cost_usd|null, at?} is one LLM call (any stream; agent_id
 *   defaults to the agent of an `agent-<id>` stream). Missing thread and model come from the task,
 *   then from the agent's profile.
 *
 * No double counting: once a task (agent_id + task_id) has an LlmUsageRecorded, the per-call events
 * are its usage and the task's own summary is ignored: a TaskCompleted/TaskFailed usage that comes later
 * records no fact, and a summary fact recorded earlier is deleted. Either order gives the same view.
 *
 * A cost of null is unknown: kept as NULL with `cost_known = 0`, never summed as zero.
 * Times: the event's own time (`completed_at`, `failed_at`, `at`), else its `occurredAt`, else the
 * store's `recordedAt`, normalized to UTC; `day` and `month` are UTC.
 *
 * Warnings: after each fact with a known cost, the agent's spend of that day, month and task is checked
 * against the limits of its profile at that time; the first time it reaches
 * {@link DEFAULT_COST_CONFIG}.warningThreshold of a limit ("warning") or the limit ("exceeded") is kept
 * in `cost_warnings` (source `derived`). `CostWarningRecorded` events {agent_id|null, period
 * 'day'|'month'|'task', period_key, level 'warning'|'exceeded', limit_usd, spent_usd, at?} are kept there
 * too (source `event`; agent '*' when null); the first record of a crossing wins.
 */
export const COST_EVENT_TYPES = [
  'AgentAnnounced',
  'AgentProfileUpdated',
  'TaskAssigned',
  'TaskCompleted',
  'TaskFailed',
  'LlmUsageRecorded',
  'CostWarningRecorded',
] as const;

export const costProjection: ProjectionDefinition = {
  name: 'cost',
  version: COST_VIEW_VERSION,
  eventTypes: COST_EVENT_TYPES,
  open(db: Database.Database): ProjectionWriter {
    createCostSchema(db);
    const writer = new CostWriter(db);
    return { reset: () => clearCostTables(db), apply: (event) => writer.apply(event) };
  },
};

type Data = Record<string, unknown>;

interface TaskRow {
  thread_id: string | null;
  task_type: string | null;
  model: string | null;
  llm_usage: number;
}

interface Fact {
  position: bigint;
  at: string;
  agentId: string | null;
  model: string | null;
  threadId: string | null;
  taskId: string | null;
  taskType: string | null;
  source: 'task' | 'llm';
  usage: Data;
}

const AGENT_STREAM = 'agent-';

class CostWriter {
  readonly #upsertAgent: Database.Statement;
  readonly #agentModel: Database.Statement<[string], { model: string | null }>;
  readonly #upsertLimits: Database.Statement;
  readonly #deleteLimits: Database.Statement<[string]>;
  readonly #limits: Database.Statement<
    [string],
    { daily_usd: number | null; monthly_usd: number | null; per_task_usd: number | null }
  >;
  readonly #upsertTask: Database.Statement;
  readonly #markLlmTask: Database.Statement;
  readonly #task: Database.Statement<[string, string], TaskRow>;
  readonly #insertFact: Database.Statement;
  readonly #deleteTaskFacts: Database.Statement<[string, string]>;
  readonly #spentDay: Database.Statement<[string, string], { spent: number }>;
  readonly #spentMonth: Database.Statement<[string, string, string], { spent: number }>;
  readonly #spentTask: Database.Statement<[string, string], { spent: number }>;
  readonly #insertWarning: Database.Statement;

  constructor(db: Database.Database) {
    this.#upsertAgent = db.prepare(
      `INSERT INTO cost_agents (agent_id, model, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET model = excluded.model, updated_at = excluded.updated_at`,
    );
    this.#agentModel = db.prepare('SELECT model FROM cost_agents WHERE agent_id = ?');
    this.#upsertLimits = db.prepare(
      `INSERT INTO cost_limits (agent_id, daily_usd, monthly_usd, per_task_usd, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET daily_usd = excluded.daily_usd, monthly_usd = excluded.monthly_usd,
         per_task_usd = excluded.per_task_usd, updated_at = excluded.updated_at`,
    );
    this.#deleteLimits = db.prepare('DELETE FROM cost_limits WHERE agent_id = ?');
    this.#limits = db.prepare(
      'SELECT daily_usd, monthly_usd, per_task_usd FROM cost_limits WHERE agent_id = ?',
    );
    this.#upsertTask = db.prepare(
      `INSERT INTO cost_tasks (agent_id, task_id, thread_id, task_type, model, assigned_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, task_id) DO UPDATE SET thread_id = excluded.thread_id, task_type = excluded.task_type,
         model = excluded.model, assigned_at = excluded.assigned_at`,
    );
    this.#markLlmTask = db.prepare(
      `INSERT INTO cost_tasks (agent_id, task_id, thread_id, model, llm_usage) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (agent_id, task_id) DO UPDATE SET llm_usage = 1`,
    );
    this.#task = db.prepare(
      'SELECT thread_id, task_type, model, llm_usage FROM cost_tasks WHERE agent_id = ? AND task_id = ?',
    );
    this.#insertFact = db.prepare(
      `INSERT OR IGNORE INTO cost_facts (position, at, day, month, agent_id, model, thread_id, task_id, task_type,
         source, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_usd, cost_known)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#deleteTaskFacts = db.prepare(
      "DELETE FROM cost_facts WHERE agent_id = ? AND task_id = ? AND source = 'task'",
    );
    this.#spentDay = db.prepare(
      'SELECT TOTAL(cost_usd) AS spent FROM cost_facts WHERE agent_id = ? AND day = ?',
    );
    this.#spentMonth = db.prepare(
      'SELECT TOTAL(cost_usd) AS spent FROM cost_facts WHERE agent_id = ? AND day >= ? AND day <= ?',
    );
    this.#spentTask = db.prepare(
      'SELECT TOTAL(cost_usd) AS spent FROM cost_facts WHERE agent_id = ? AND task_id = ?',
    );
    this.#insertWarning = db.prepare(
      `INSERT INTO cost_warnings (agent_id, period, period_key, level, limit_usd, spent_usd, at, position, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
  }

  apply(event: RecordedEvent): void {
    const data = asObject(event.data) ?? {};
    switch (event.type) {
      case 'AgentAnnounced':
      case 'AgentProfileUpdated':
        return this.#profile(event, data);
      case 'TaskAssigned':
        return this.#assigned(event, data);
      case 'TaskCompleted':
      case 'TaskFailed':
        return this.#taskUsage(event, data);
      case 'LlmUsageRecorded':
        return this.#llmUsage(event, data);
      case 'CostWarningRecorded':
        return this.#warningRecorded(event, data);
    }
  }

  #profile(event: RecordedEvent, data: Data): void {
    const agentId = agentOfStream(event.stream);
    if (agentId === null) return;
    const at = eventTime(event, data.announced_at ?? data.updated_at);
    this.#upsertAgent.run(agentId, text(data.model), at);
    const limits = asObject(data.cost_limits);
    const daily = usd(limits?.daily_usd);
    const monthly = usd(limits?.monthly_usd);
    const perTask = usd(limits?.per_task_usd);
    if (daily === null && monthly === null && perTask === null) this.#deleteLimits.run(agentId);
    else this.#upsertLimits.run(agentId, daily, monthly, perTask, at);
  }

  #assigned(event: RecordedEvent, data: Data): void {
    const agentId = agentOfStream(event.stream);
    const taskId = text(data.task_id);
    if (agentId === null || taskId === null) return;
    const model = this.#agentModel.get(agentId)?.model ?? null;
    const at = eventTime(event, data.assigned_at);
    this.#upsertTask.run(agentId, taskId, text(data.thread_id), text(data.task_type), model, at);
  }

  #taskUsage(event: RecordedEvent, data: Data): void {
    const agentId = agentOfStream(event.stream);
    const taskId = text(data.task_id);
    const usage = asObject(data.usage);
    if (agentId === null || taskId === null || usage === null) return;
    const task = this.#task.get(agentId, taskId);
    if (task && task.llm_usage === 1) return; // the task's LLM calls are its usage
    this.#record({
      position: event.position,
      at: eventTime(event, event.type === 'TaskCompleted' ? data.completed_at : data.failed_at),
      agentId,
      model: task ? task.model : (this.#agentModel.get(agentId)?.model ?? null),
      threadId: task?.thread_id ?? null,
      taskId,
      taskType: task?.task_type ?? null,
      source: 'task',
      usage,
    });
  }

  #llmUsage(event: RecordedEvent, data: Data): void {
    const agentId = text(data.agent_id) ?? agentOfStream(event.stream);
    const taskId = text(data.task_id);
    const task = agentId !== null && taskId !== null ? this.#task.get(agentId, taskId) : undefined;
    const threadId = text(data.thread_id) ?? task?.thread_id ?? null;
    const model =
      text(data.model) ??
      task?.model ??
      (agentId === null ? null : (this.#agentModel.get(agentId)?.model ?? null));
    if (agentId !== null && taskId !== null) {
      this.#markLlmTask.run(agentId, taskId, threadId, model);
      this.#deleteTaskFacts.run(agentId, taskId);
    }
    this.#record({
      position: event.position,
      at: eventTime(event, data.at ?? data.completed_at ?? data.recorded_at),
      agentId,
      model,
      threadId,
      taskId,
      taskType: task?.task_type ?? text(data.task_type),
      source: 'llm',
      usage: data,
    });
  }

  #record(fact: Fact): void {
    const cost = usd(fact.usage.cost_usd);
    const day = fact.at.slice(0, 10);
    this.#insertFact.run(
      fact.position,
      fact.at,
      day,
      day.slice(0, 7),
      fact.agentId,
      fact.model,
      fact.threadId,
      fact.taskId,
      fact.taskType,
      fact.source,
      tokens(fact.usage.prompt_tokens),
      tokens(fact.usage.cached_tokens),
      tokens(fact.usage.completion_tokens),
      tokens(fact.usage.reasoning_tokens),
      cost,
      cost === null ? 0 : 1,
    );
    if (cost !== null && fact.agentId !== null) this.#deriveWarnings(fact, day);
  }

  #deriveWarnings(fact: Fact, day: string): void {
    const agentId = fact.agentId!;
    const limits = this.#limits.get(agentId);
    if (!limits) return;
    const month = day.slice(0, 7);
    const checks: ['day' | 'month' | 'task', string, number | null, () => number][] = [
      ['day', day, limits.daily_usd, () => this.#spentDay.get(agentId, day)!.spent],
      [
        'month',
        month,
        limits.monthly_usd,
        () => this.#spentMonth.get(agentId, `${month}-01`, `${month}-31`)!.spent,
      ],
    ];
    if (fact.taskId !== null) {
      const taskId = fact.taskId;
      checks.push(['task', taskId, limits.per_task_usd, () => this.#spentTask.get(agentId, taskId)!.spent]);
    }
    const threshold = DEFAULT_COST_CONFIG.warningThreshold;
    for (const [period, key, limit, spentOf] of checks) {
      if (limit === null) continue;
      const spent = roundUsd(spentOf());
      for (const [level, reached] of [
        ['warning', spent >= limit * threshold],
        ['exceeded', spent >= limit],
      ] as const) {
        if (reached) {
          this.#insertWarning.run(
            agentId,
            period,
            key,
            level,
            limit,
            spent,
            fact.at,
            fact.position,
            'derived',
          );
        }
      }
    }
  }

  #warningRecorded(event: RecordedEvent, data: Data): void {
    const period = data.period;
    const level = data.level === 'limit_exceeded' ? 'exceeded' : data.level;
    const key = text(data.period_key);
    const limit = usd(data.limit_usd);
    const spent = usd(data.spent_usd);
    if (period !== 'day' && period !== 'month' && period !== 'task') return;
    if (level !== 'warning' && level !== 'exceeded') return;
    if (key === null || limit === null || spent === null) return;
    const agentId = text(data.agent_id) ?? '*';
    this.#insertWarning.run(
      agentId,
      period,
      key,
      level,
      limit,
      spent,
      eventTime(event, data.at),
      event.position,
      'event',
    );
  }
}

function agentOfStream(stream: string): string | null {
  return stream.startsWith(AGENT_STREAM) && stream.length > AGENT_STREAM.length
    ? stream.slice(AGENT_STREAM.length)
    : null;
}

function asObject(value: unknown): Data | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Data) : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A token count: a non-negative integer, 0 when absent or malformed. */
function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
}

/** A USD amount: a finite non-negative number, null (unknown) otherwise. */
function usd(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** The event's own time if it is a valid one, else when it occurred, else when it was recorded; UTC ISO. */
function eventTime(event: RecordedEvent, own: unknown): string {
  for (const candidate of [own, event.metadata.occurredAt, event.recordedAt]) {
    if (typeof candidate !== 'string') continue;
    const ms = Date.parse(candidate);
    if (Number.isFinite(ms) && ms >= 0 && ms < 253_402_300_800_000) return new Date(ms).toISOString();
  }
  return new Date(0).toISOString();
}
