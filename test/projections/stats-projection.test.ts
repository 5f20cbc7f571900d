import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../src/actors/actor-kind.js';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { HEARTBEAT_DEADLINE } from '../../src/actors/agent/agent-kind.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { EventStore } from '../../src/events/event-store.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import {
  STATS_EVENT_TYPES,
  STATS_TABLES,
  statsProjection,
} from '../../src/projections/stats/stats-projection.js';
import { getStats } from '../../src/projections/stats/stats-queries.js';
import { tempStore } from '../support/temp-store.js';

function dump(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(
    STATS_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()]),
  );
}

describe('stats projection', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  let system: ActorSystem;
  let clock: SimulatedClock;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let last: bigint | undefined;

  async function run(category: string, id: string, command: CommandInput) {
    clock.advance(1000);
    const result = await system.send(category, id, command);
    if (result.position !== undefined) last = result.position;
    return result;
  }
  const agent = (id: string, command: CommandInput) => run('agent', id, command);

  beforeEach(() => {
    temp = tempStore('bzzz-stats-projection-');
    store = temp.open();
    clock = new SimulatedClock(Date.parse('2026-06-01T09:00:00.000Z'));
    system = new ActorSystem({ store, kinds: actorKinds, clock });
    db = openReadModelDatabase(':memory:');
    runner = new ProjectionRunner(store, db, [statsProjection]);
    last = undefined;
  });
  afterEach(async () => {
    await runner.stop();
    await system.stop();
    db.close();
    await temp.dispose();
  });

  it('starts empty', () => {
    expect(getStats(db, { now: 0 })).toEqual({
      start_time: null,
      uptime_seconds: null,
      first_event_at: null,
      last_event_at: null,
      active_agents: 0,
      messages_processed: 0,
      tokens_consumed: 0,
      average_cost_per_task: null,
      error_rate: null,
      agents: { announced: 0, active: 0, offline: 0, error: 0, retired: 0 },
      threads: { created: 0, active: 0, closed: 0 },
      tasks: { assigned: 0, completed: 0, failed: 0, in_flight: 0 },
      tokens: { prompt: 0, completion: 0, cached: 0, total: 0 },
      cost: { total_usd: 0, costed_tasks: 0, uncosted_tasks: 0 },
    });
  });

  async function scenario() {
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5'])
      await agent(id, { type: 'AnnounceAgent', role: 'developer' });
    // a1: one task with a known cost, one without, one left in flight.
    await agent('a1', { type: 'AssignTask', task_id: 'task-1', task_type: 'code_review' });
    await agent('a1', { type: 'StartTask', task_id: 'task-1' });
    await agent('a1', {
      type: 'CompleteTask',
      task_id: 'task-1',
      result: 'ok',
      usage: { prompt_tokens: 100, completion_tokens: 50, cached_tokens: 20, cost_usd: 0.0125 },
    });
    await agent('a1', { type: 'AssignTask', task_id: 'task-2', task_type: 'documentation' });
    await agent('a1', {
      type: 'CompleteTask',
      task_id: 'task-2',
      result: null,
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    });
    await agent('a1', { type: 'AssignTask', task_id: 'task-6', task_type: 'chat_completion' });
    // a2: a failed task with a cost, then retired with a task in flight (failed, no usage).
    await agent('a2', { type: 'AssignTask', task_id: 'task-3', task_type: 'code_review' });
    await agent('a2', {
      type: 'FailTask',
      task_id: 'task-3',
      reason: 'boom',
      usage: { prompt_tokens: 30, completion_tokens: 0, cost_usd: 0.0075 },
    });
    await agent('a2', { type: 'AssignTask', task_id: 'task-4', task_type: 'code_review' });
    const retired = await agent('a2', { type: 'RetireAgent', reason: 'done' });
    expect(retired.events.map((e) => e.type)).toEqual(['TaskFailed', 'AgentRetired']);
    // a3: a completed task, then an error.
    await agent('a3', { type: 'AssignTask', task_id: 'task-5', task_type: 'code_review' });
    await agent('a3', {
      type: 'CompleteTask',
      task_id: 'task-5',
      result: 'fine',
      usage: { prompt_tokens: 200, completion_tokens: 100, cost_usd: 0.0275 },
    });
    await agent('a3', { type: 'ReportError', code: 'RATE_LIMITED', message: 'slow down' });
    // a4 and a5 miss their heartbeats; a5 comes back.
    clock.advance(91_000);
    for (const id of ['a4', 'a5']) {
      const offline = await system.fireDeadline(`agent-${id}`, HEARTBEAT_DEADLINE);
      expect(offline.events.map((e) => e.type)).toEqual(['AgentWentOffline']);
    }
    await agent('a5', { type: 'RecordHeartbeat' });
    // Threads: one open with three messages, one closed.
    await run('thread', 't1', {
      type: 'CreateThread',
      topic: 'Plan',
      participants: ['a1', 'a3'],
      creator: 'a1',
    });
    for (const content of ['one', 'two', 'three'])
      await run('thread', 't1', { type: 'PostMessage', sender: 'a1', content });
    await run('thread', 't2', { type: 'CreateThread', topic: 'Side', participants: ['a5'], creator: 'a5' });
    await run('thread', 't2', { type: 'CloseThread', closed_by: 'a5', stop_reason: 'closed' });
  }

  it('folds agents, threads, messages, tasks, tokens and costs', async () => {
    await scenario();
    runner.start();
    await runner.waitFor(last);
    const [first] = await store.readAll({ maxCount: 1 });
    const [newest] = await store.readAll({
      direction: 'backwards',
      fromPosition: 'end',
      maxCount: 1,
      filter: { eventTypes: STATS_EVENT_TYPES },
    });
    const started = Date.parse(first!.recordedAt);

    expect(getStats(db, { now: started + 90_500 })).toEqual({
      start_time: first!.recordedAt,
      uptime_seconds: 90,
      first_event_at: first!.recordedAt,
      last_event_at: newest!.recordedAt,
      active_agents: 2,
      messages_processed: 3,
      tokens_consumed: 495,
      average_cost_per_task: 0.02,
      error_rate: 0.4,
      agents: { announced: 5, active: 2, offline: 1, error: 1, retired: 1 },
      threads: { created: 2, active: 1, closed: 1 },
      tasks: { assigned: 6, completed: 3, failed: 2, in_flight: 1 },
      tokens: { prompt: 340, completion: 155, cached: 20, total: 495 },
      cost: { total_usd: 0.0475, costed_tasks: 3, uncosted_tasks: 2 },
    });
    expect(
      getStats(db, { startTime: '2026-01-01T00:00:00.000Z', now: Date.parse('2026-01-01T00:01:00.500Z') }),
    ).toMatchObject({
      start_time: '2026-01-01T00:00:00.000Z',
      uptime_seconds: 60,
      first_event_at: first!.recordedAt,
    });
  });

  it('rebuilds to exactly the same rows and keeps following', async () => {
    runner.start();
    await scenario();
    await runner.waitFor(last);
    const incremental = dump(db);
    expect(incremental.stats_agents).toHaveLength(5);
    await runner.rebuild('stats');
    expect(dump(db)).toEqual(incremental);

    await agent('a3', { type: 'RecoverAgent' });
    await runner.waitFor(last);
    expect(getStats(db)).toMatchObject({ active_agents: 3, agents: { active: 3, error: 0 } });
  });
});
