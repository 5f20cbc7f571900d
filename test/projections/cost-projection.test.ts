import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { JsonObject } from '../../src/events/json.js';
import { costProjection } from '../../src/projections/cost/cost-projection.js';
import { costBy, costUsage, costWarnings, type CostRow } from '../../src/projections/cost/cost-queries.js';
import { budgetStatus } from '../../src/projections/cost/cost-budget.js';
import { COST_TABLES, createCostSchema } from '../../src/projections/cost/cost-schema.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { tempStore } from '../support/temp-store.js';

const profile = (model: string | null, costLimits: JsonObject | null): JsonObject => ({
  role: 'reviewer',
  capabilities: [],
  specialization: '',
  max_tasks: 3,
  model,
  system_prompt: null,
  cost_limits: costLimits,
  project: null,
  owner: null,
  heartbeat_timeout_s: 90,
});

const usage = (prompt: number, completion: number, cached: number, cost: number | null): JsonObject => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  cached_tokens: cached,
  cost_usd: cost,
});

const row = (key: string | null, fields: Partial<CostRow>): CostRow => ({
  key,
  calls: 0,
  prompt_tokens: 0,
  cached_tokens: 0,
  completion_tokens: 0,
  total_tokens: (fields.prompt_tokens ?? 0) + (fields.completion_tokens ?? 0),
  cost_usd: null,
  unknown_cost_calls: 0,
  ...fields,
});

function dump(db: Database.Database): Record<string, unknown[]> {
  const tables: Record<string, unknown[]> = {};
  for (const table of COST_TABLES)
    tables[table] = db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3`).all();
  return tables;
}

describe('cost projection', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let last: bigint;

  const append = async (stream: string, type: string, data: JsonObject) => {
    const result = await store.append(stream, [{ type, data }]);
    last = result.position;
  };

  beforeEach(() => {
    temp = tempStore('bzzz-cost-');
    store = temp.open();
    db = openReadModelDatabase(':memory:');
    runner = new ProjectionRunner(store, db, [costProjection]);
  });
  afterEach(async () => {
    await runner.stop();
    db.close();
    await temp.dispose();
  });

  /** Two agents, five tasks, LLM calls before and after a task's summary, days and months in UTC. */
  async function scenario(): Promise<void> {
    const limits = { daily_usd: 0.3, monthly_usd: 0.5, per_task_usd: 0.2 };
    await append('agent-a1', 'AgentAnnounced', {
      agent_id: 'a1',
      announced_at: '2026-06-01T08:00:00.000Z',
      ...profile('gpt-5', limits),
    });
    await append('agent-a2', 'AgentAnnounced', {
      agent_id: 'a2',
      announced_at: '2026-06-01T08:00:00.000Z',
      ...profile('gpt-4o-mini', null),
    });
    const assign = (agent: string, task: string, thread: string | null, at: string) =>
      append(`agent-${agent}`, 'TaskAssigned', {
        task_id: task,
        task_type: 'code_review',
        description: '',
        input: {},
        thread_id: thread,
        assigned_at: at,
      });
    const completed = (agent: string, task: string, u: JsonObject, at: string) =>
      append(`agent-${agent}`, 'TaskCompleted', { task_id: task, result: null, usage: u, completed_at: at });

    // a1 / gpt-5: t1 the last millisecond of June 1st, t2 (cost unknown) the first of June 2nd.
    await assign('a1', 't1', 'th1', '2026-06-01T10:00:00.000Z');
    await completed('a1', 't1', usage(1000, 200, 100, 0.25), '2026-06-01T23:59:59.999Z');
    await assign('a1', 't2', 'th1', '2026-06-01T23:00:00.000Z');
    await completed('a1', 't2', usage(400, 100, 0, null), '2026-06-02T00:00:00.000Z');
    // a1 changes model: t3 fails with usage at 23:30 on June 30th at -02:00, that is July 1st in UTC.
    await append('agent-a1', 'AgentProfileUpdated', {
      updated_at: '2026-06-30T12:00:00.000Z',
      ...profile('gpt-5-mini', limits),
    });
    await assign('a1', 't3', null, '2026-06-30T20:00:00.000Z');
    await append('agent-a1', 'TaskFailed', {
      task_id: 't3',
      code: 'TASK_FAILED',
      reason: 'boom',
      usage: usage(500, 0, 0, 0.5),
      failed_at: '2026-06-30T23:30:00-02:00',
    });
    // A failure without usage is no fact.
    await assign('a1', 't6', null, '2026-06-30T21:00:00.000Z');
    await append('agent-a1', 'TaskFailed', {
      task_id: 't6',
      code: 'AGENT_RETIRED',
      reason: 'retired',
      usage: null,
      failed_at: '2026-06-30T21:00:00.000Z',
    });

    // a2: t4 has two LLM calls (another stream, thread from the task), then a summary that must be ignored.
    await assign('a2', 't4', 'th2', '2026-06-01T11:00:00.000Z');
    await append('llm-a2', 'LlmUsageRecorded', {
      agent_id: 'a2',
      task_id: 't4',
      thread_id: null,
      model: 'gpt-4o',
      prompt_tokens: 300,
      cached_tokens: 0,
      completion_tokens: 50,
      reasoning_tokens: 10,
      cost_usd: 0.125,
      at: '2026-06-01T12:00:00.000Z',
    });
    await append('llm-a2', 'LlmUsageRecorded', {
      agent_id: 'a2',
      task_id: 't4',
      thread_id: null,
      model: 'gpt-4o',
      prompt_tokens: 200,
      cached_tokens: 20,
      completion_tokens: 40,
      reasoning_tokens: 0,
      cost_usd: null,
      at: '2026-06-01T12:01:00.000Z',
    });
    await completed('a2', 't4', usage(9999, 9999, 0, 9), '2026-06-01T12:02:00.000Z');
    // t5: the summary first, the LLM call (in the agent's stream, agent from the stream) after it.
    await assign('a2', 't5', null, '2026-06-01T13:00:00.000Z');
    await completed('a2', 't5', usage(7777, 7777, 0, 0.5), '2026-06-01T13:05:00.000Z');
    await append('agent-a2', 'LlmUsageRecorded', {
      task_id: 't5',
      thread_id: null,
      model: 'gpt-4o',
      prompt_tokens: 100,
      cached_tokens: 0,
      completion_tokens: 10,
      reasoning_tokens: 0,
      cost_usd: 0.0625,
      at: '2026-06-01T13:04:00.000Z',
    });
    // Events the projection does not read still move its checkpoint.
    await append('thread-th1', 'MessagePosted', { content: 'hi' });
  }

  async function caughtUp(): Promise<void> {
    runner.start();
    await runner.waitFor(last);
  }

  it('aggregates by model, cost first, unknown costs apart and never as zero', async () => {
    await scenario();
    await caughtUp();
    expect(costBy(db, { by: 'model' })).toEqual([
      row('gpt-5-mini', { calls: 1, prompt_tokens: 500, cost_usd: 0.5 }),
      row('gpt-5', {
        calls: 2,
        prompt_tokens: 1400,
        cached_tokens: 100,
        completion_tokens: 300,
        cost_usd: 0.25,
        unknown_cost_calls: 1,
      }),
      row('gpt-4o', {
        calls: 3,
        prompt_tokens: 600,
        cached_tokens: 20,
        completion_tokens: 100,
        cost_usd: 0.1875,
        unknown_cost_calls: 1,
      }),
    ]);
  });

  it('aggregates by agent, thread and task', async () => {
    await scenario();
    await caughtUp();
    expect(costBy(db, { by: 'agent' })).toEqual([
      row('a1', {
        calls: 3,
        prompt_tokens: 1900,
        cached_tokens: 100,
        completion_tokens: 300,
        cost_usd: 0.75,
        unknown_cost_calls: 1,
      }),
      row('a2', {
        calls: 3,
        prompt_tokens: 600,
        cached_tokens: 20,
        completion_tokens: 100,
        cost_usd: 0.1875,
        unknown_cost_calls: 1,
      }),
    ]);
    expect(costBy(db, { by: 'thread' })).toEqual([
      row(null, { calls: 2, prompt_tokens: 600, completion_tokens: 10, cost_usd: 0.5625 }),
      row('th1', {
        calls: 2,
        prompt_tokens: 1400,
        cached_tokens: 100,
        completion_tokens: 300,
        cost_usd: 0.25,
        unknown_cost_calls: 1,
      }),
      row('th2', {
        calls: 2,
        prompt_tokens: 500,
        cached_tokens: 20,
        completion_tokens: 90,
        cost_usd: 0.125,
        unknown_cost_calls: 1,
      }),
    ]);
    const tasks = costBy(db, { by: 'task' });
    expect(tasks.map((r) => [r.key, r.calls, r.cost_usd, r.unknown_cost_calls])).toEqual([
      ['t3', 1, 0.5, 0],
      ['t1', 1, 0.25, 0],
      ['t4', 2, 0.125, 1],
      ['t5', 1, 0.0625, 0],
      ['t2', 1, null, 1],
    ]);
  });

  it('groups by UTC day and month in ascending order, and filters by range, agent, model and thread', async () => {
    await scenario();
    await caughtUp();
    expect(costBy(db, { by: 'day' })).toEqual([
      row('2026-06-01', {
        calls: 4,
        prompt_tokens: 1600,
        cached_tokens: 120,
        completion_tokens: 300,
        cost_usd: 0.4375,
        unknown_cost_calls: 1,
      }),
      row('2026-06-02', { calls: 1, prompt_tokens: 400, completion_tokens: 100, unknown_cost_calls: 1 }),
      row('2026-07-01', { calls: 1, prompt_tokens: 500, cost_usd: 0.5 }),
    ]);
    expect(
      costBy(db, { by: 'month' }).map((r) => [r.key, r.calls, r.cost_usd, r.unknown_cost_calls]),
    ).toEqual([
      ['2026-06', 5, 0.4375, 2],
      ['2026-07', 1, 0.5, 0],
    ]);
    // A date-only `until` covers the whole UTC day; a date-time bound is exact to the millisecond.
    const days = (options: { since?: string; until?: string }) =>
      costBy(db, { by: 'day', ...options }).map((r) => [r.key, r.calls]);
    expect(days({ until: '2026-06-01' })).toEqual([['2026-06-01', 4]]);
    expect(days({ since: '2026-06-02', until: '2026-06-30' })).toEqual([['2026-06-02', 1]]);
    expect(days({ since: '2026-06-01T12:00:30Z', until: '2026-06-01T23:59:59.999Z' })).toEqual([
      ['2026-06-01', 3],
    ]);
    expect(days({ until: '2026-06-01T23:59:59.998Z' })).toEqual([['2026-06-01', 3]]);
    expect(days({ since: '2026-06-01T21:00:00-03:00' })).toEqual([
      ['2026-06-02', 1],
      ['2026-07-01', 1],
    ]);
    expect(costBy(db, { by: 'model', agent: 'a1', since: '2026-06-01', until: '2026-06-30' })).toEqual([
      row('gpt-5', {
        calls: 2,
        prompt_tokens: 1400,
        cached_tokens: 100,
        completion_tokens: 300,
        cost_usd: 0.25,
        unknown_cost_calls: 1,
      }),
    ]);
    expect(costBy(db, { by: 'agent', model: 'gpt-4o', thread: 'th2' }).map((r) => [r.key, r.calls])).toEqual([
      ['a2', 2],
    ]);
    expect(() => costBy(db, { by: 'day', since: '2026-06-31' })).toThrow(
      /since "2026-06-31" is not an ISO date/,
    );
    expect(() => costBy(db, { by: 'day', since: '2026-06-02', until: '2026-06-01' })).toThrow(/is after/);
    expect(() => costBy(db, { by: 'nope' as 'day' })).toThrow(
      /accepted: model, agent, day, month, thread, task/,
    );
  });

  it('answers the seed CostUsage of a day and a month', async () => {
    await scenario();
    await caughtUp();
    expect(costUsage(db, 'day', '2026-06-01')).toEqual({
      date: '2026-06-01',
      totalCost: 0.4375,
      apiCalls: 4,
      tokens: { prompt: 1600, completion: 300, total: 1900 },
      models: {
        'gpt-4o': { calls: 3, cost: 0.1875, tokens: 700 },
        'gpt-5': { calls: 1, cost: 0.25, tokens: 1200 },
      },
      unknownCostCalls: 1,
    });
    expect(costUsage(db, 'month', '2026-07')).toEqual({
      date: '2026-07',
      totalCost: 0.5,
      apiCalls: 1,
      tokens: { prompt: 500, completion: 0, total: 500 },
      models: { 'gpt-5-mini': { calls: 1, cost: 0.5, tokens: 500 } },
      unknownCostCalls: 0,
    });
    expect(costUsage(db, 'day', '2026-05-31')).toMatchObject({ totalCost: 0, apiCalls: 0, models: {} });
    expect(() => costUsage(db, 'month', '2026-13')).toThrow(/not a month/);
  });

  it('reports the budget overall and per agent, and records the warnings each agent crossed', async () => {
    await scenario();
    await caughtUp();
    const status = budgetStatus(db, {
      dailyLimit: 0.4,
      monthlyLimit: 1,
      warningThreshold: 0.8,
      now: '2026-06-01T15:00:00Z',
    });
    expect(status).toEqual({
      day: '2026-06-01',
      month: '2026-06',
      warning_threshold: 0.8,
      overall: {
        spent_today: 0.4375,
        spent_month: 0.4375,
        unknown_cost_calls_today: 1,
        unknown_cost_calls_month: 2,
        limits: { daily: 0.4, monthly: 1, per_task: null },
        remaining: { daily: 0, monthly: 0.5625 },
        warning: true,
        exceeded: true,
      },
      agents: [
        {
          agent_id: 'a1',
          spent_today: 0.25,
          spent_month: 0.25,
          unknown_cost_calls_today: 0,
          unknown_cost_calls_month: 1,
          limits: { daily: 0.3, monthly: 0.5, per_task: 0.2 },
          remaining: { daily: 0.05, monthly: 0.25 },
          warning: true,
          exceeded: false,
        },
        {
          agent_id: 'a2',
          spent_today: 0.1875,
          spent_month: 0.1875,
          unknown_cost_calls_today: 1,
          unknown_cost_calls_month: 1,
          limits: { daily: null, monthly: null, per_task: null },
          remaining: { daily: null, monthly: null },
          warning: false,
          exceeded: false,
        },
      ],
    });
    // Seed defaults (100 / 1000 / 0.8) when nothing is configured.
    expect(budgetStatus(db, { now: new Date('2026-06-01T15:00:00Z') }).overall).toMatchObject({
      limits: { daily: 100, monthly: 1000 },
      warning: false,
      exceeded: false,
    });
    expect(costWarnings(db).map((w) => [w.agent_id, w.period, w.period_key, w.level, w.spent_usd])).toEqual([
      ['a1', 'day', '2026-06-01', 'warning', 0.25],
      ['a1', 'task', 't1', 'warning', 0.25],
      ['a1', 'task', 't1', 'exceeded', 0.25],
      ['a1', 'day', '2026-07-01', 'warning', 0.5],
      ['a1', 'day', '2026-07-01', 'exceeded', 0.5],
      ['a1', 'month', '2026-07', 'warning', 0.5],
      ['a1', 'month', '2026-07', 'exceeded', 0.5],
      ['a1', 'task', 't3', 'warning', 0.5],
      ['a1', 'task', 't3', 'exceeded', 0.5],
    ]);
  });

  it('keeps CostWarningRecorded events, first record of a crossing first', async () => {
    await append('llm-node', 'CostWarningRecorded', {
      agent_id: null,
      period: 'day',
      period_key: '2026-06-01',
      level: 'limit_exceeded',
      limit_usd: 100,
      spent_usd: 101.5,
      at: '2026-06-01T18:00:00Z',
    });
    await append('llm-node', 'CostWarningRecorded', { period: 'week', level: 'warning' });
    await caughtUp();
    expect(costWarnings(db)).toEqual([
      {
        agent_id: '*',
        period: 'day',
        period_key: '2026-06-01',
        level: 'exceeded',
        limit_usd: 100,
        spent_usd: 101.5,
        at: '2026-06-01T18:00:00.000Z',
        source: 'event',
      },
    ]);
  });

  it('rebuilds to identical tables, and a fresh database folds to the same view', async () => {
    await scenario();
    await caughtUp();
    const before = dump(db);
    expect(before.cost_facts).toHaveLength(6);
    const status = await runner.rebuild('cost');
    expect(status).toMatchObject({ name: 'cost', state: 'running', position: last });
    expect(dump(db)).toEqual(before);

    const other = openReadModelDatabase(':memory:');
    const second = new ProjectionRunner(store, other, [costProjection]);
    second.start();
    await second.waitFor(last);
    expect(dump(other)).toEqual(before);
    await second.stop();
    other.close();
  });

  it('resumes from its checkpoint after a restart without counting twice', async () => {
    await scenario();
    await caughtUp();
    await runner.stop();
    const before = dump(db);
    runner = new ProjectionRunner(store, db, [costProjection]);
    await append('agent-a2', 'TaskAssigned', {
      task_id: 't7',
      task_type: 'documentation',
      description: '',
      input: {},
      thread_id: 'th3',
      assigned_at: '2026-06-03T09:00:00.000Z',
    });
    await append('agent-a2', 'TaskCompleted', {
      task_id: 't7',
      result: null,
      usage: usage(10, 5, 0, 0.01),
      completed_at: '2026-06-03T09:01:00.000Z',
    });
    await caughtUp();
    expect(dump(db).cost_facts).toHaveLength(before.cost_facts!.length + 1);
    expect(costBy(db, { by: 'thread', thread: 'th3' })).toEqual([
      row('th3', { calls: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.01 }),
    ]);
    expect(costBy(db, { by: 'model', thread: 'th3' }).map((r) => r.key)).toEqual(['gpt-4o-mini']);
  });

  it('creates its schema idempotently', () => {
    createCostSchema(db);
    createCostSchema(db);
    expect(db.prepare("SELECT value FROM cost_meta WHERE key = 'version'").get()).toEqual({ value: '1' });
  });
});

describe('cost projection over the agent actors', () => {
  it('folds the usage the real agent machine records', async () => {
    const temp = tempStore('bzzz-cost-actors-');
    const store = temp.open();
    const clock = new SimulatedClock(Date.parse('2026-06-01T23:59:00.000Z'));
    const system = new ActorSystem({
      store,
      kinds: actorKinds,
      clock,
      effects: { requestTaskExecution: async () => {} },
    });
    const db = openReadModelDatabase(':memory:');
    const runner = new ProjectionRunner(store, db, [costProjection]);
    try {
      await system.send('agent', 'reviewer-001', {
        type: 'AnnounceAgent',
        role: 'reviewer',
        model: 'gpt-5',
        cost_limits: { daily_usd: 1 },
      });
      await system.send('agent', 'reviewer-001', {
        type: 'AssignTask',
        task_id: 'task-1',
        task_type: 'code_review',
        thread_id: 'thread-9',
      });
      await system.send('agent', 'reviewer-001', {
        type: 'AssignTask',
        task_id: 'task-2',
        task_type: 'documentation',
      });
      await system.send('agent', 'reviewer-001', {
        type: 'CompleteTask',
        task_id: 'task-1',
        result: 'ok',
        usage: { prompt_tokens: 120, completion_tokens: 30, cost_usd: 0.8 },
      });
      clock.advance(120_000); // past midnight UTC
      const failed = await system.send('agent', 'reviewer-001', {
        type: 'FailTask',
        task_id: 'task-2',
        reason: 'timeout',
        usage: { prompt_tokens: 50, completion_tokens: 0, cached_tokens: 10 },
      });
      await system.settled();
      runner.start();
      await runner.waitFor(failed.position);
      expect(costBy(db, { by: 'day' }).map((r) => [r.key, r.calls, r.total_tokens, r.cost_usd])).toEqual([
        ['2026-06-01', 1, 150, 0.8],
        ['2026-06-02', 1, 50, null],
      ]);
      expect(costBy(db, { by: 'thread' }).map((r) => [r.key, r.cost_usd, r.unknown_cost_calls])).toEqual([
        ['thread-9', 0.8, 0],
        [null, null, 1],
      ]);
      expect(costBy(db, { by: 'model' }).map((r) => [r.key, r.calls])).toEqual([['gpt-5', 2]]);
      expect(costWarnings(db).map((w) => [w.period, w.level])).toEqual([['day', 'warning']]);
    } finally {
      await runner.stop();
      await system.stop();
      db.close();
      await temp.dispose();
    }
  });
});
