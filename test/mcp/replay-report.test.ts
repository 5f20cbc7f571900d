import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { structured } from '../support/mcp-harness.js';
import { type ServicesHarness, startServicesHarness } from './support/services-harness.js';

describe('bzzz_replay and bzzz_report', () => {
  let harness: ServicesHarness;
  let client: Client;
  beforeEach(async () => {
    harness = await startServicesHarness();
    client = await harness.connect();
  });
  afterEach(() => harness.close());

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, body: structured(result) };
  };

  it("replays an agent's events with its state after each, paged, and the state at a revision", async () => {
    await call('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer', model: 'gpt-test' });
    await harness.system.send('agent', 'rev-1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    await harness.system.send('agent', 'rev-1', {
      type: 'CompleteTask',
      task_id: 't1',
      result: 'LGTM',
      usage: { prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.01 },
    });
    const before = await harness.store.readAll();
    const page = await call('bzzz_replay', { stream: 'agent-rev-1', limit: 2 });
    expect(page.body).toMatchObject({
      success: true,
      stream: 'agent-rev-1',
      category: 'agent',
      actor_id: 'rev-1',
      machine_version: 2,
      head_revision: 2,
      next_revision: 2,
      events: [
        {
          revision: 0,
          type: 'AgentAnnounced',
          machine_version: 2,
          state_value: 'idle',
          state: { status: 'idle', current_tasks: [] },
        },
        {
          revision: 1,
          type: 'TaskAssigned',
          position: expect.stringMatching(/^\d+$/),
          state_value: 'busy',
          state: { status: 'busy', current_tasks: [{ id: 't1', status: 'pending' }] },
        },
      ],
      state: { revision: 1, view: { status: 'busy' } },
    });
    const rest = await call('bzzz_replay', {
      stream: 'agent-rev-1',
      from_revision: 2,
      include_metadata: true,
    });
    expect(rest.body).toMatchObject({
      next_revision: null,
      events: [
        {
          revision: 2,
          type: 'TaskCompleted',
          metadata: { machineVersion: 2, cause: 'CompleteTask' },
          state_value: 'idle',
          state: { status: 'idle', completed_tasks: 1 },
        },
      ],
    });
    const at = await call('bzzz_replay', { stream: 'agent-rev-1', at_revision: 1 });
    expect(at.body).toMatchObject({ events: [], state: { revision: 1, view: { status: 'busy' } } });
    const lean = await call('bzzz_replay', { stream: 'agent-rev-1', include_state: false });
    expect((lean.body.events as object[])[0]).not.toHaveProperty('state');
    // Replay appends nothing and runs nothing.
    expect(await harness.store.readAll()).toEqual(before);

    const cases: [Record<string, unknown>, string][] = [
      [{ stream: 'agent-ghost' }, 'AGENT_NOT_FOUND'],
      [{ stream: 'thread-ghost' }, 'THREAD_NOT_FOUND'],
      [{ stream: 'subscription-ghost' }, 'SUBSCRIPTION_NOT_FOUND'],
      [{ stream: 'cart-1' }, 'INVALID_PARAMETERS'],
      [{ stream: 'agent-rev-1', at_revision: 3 }, 'INVALID_PARAMETERS'],
      [{ stream: 'agent-rev-1', limit: 0 }, 'INVALID_PARAMETERS'],
    ];
    for (const [args, code] of cases) {
      const result = await call('bzzz_replay', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.body).toMatchObject({ success: false, code });
    }
  });

  it('replays a thread to its closing', async () => {
    await call('bzzz_announce', { agent_id: 'a1', role: 'architect' });
    const created = await call('bzzz_thread', { action: 'create', topic: 't', participants: ['a1'] });
    const id = created.body.thread_id as string;
    await call('bzzz_thread', { action: 'close', thread_id: id, agent_id: 'a1' });
    const replay = await call('bzzz_replay', { stream: `thread-${id}` });
    expect(replay.body).toMatchObject({
      events: [
        { type: 'ThreadCreated', state_value: { open: { running: 'active' } }, state: { status: 'active' } },
        { type: 'ThreadClosed', state_value: 'closed', state: { status: 'closed', stop_reason: 'closed' } },
      ],
    });
  });

  it('reports cost, threads and stats from the read models', async () => {
    await call('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer', model: 'gpt-test' });
    await call('bzzz_post', {
      target_address: 'bzzz://rev-1',
      message_type: 'code_review',
      content: { description: 'review' },
    });
    const { state } = await harness.system.inspect('agent', 'rev-1');
    const taskId = (state.current_tasks as { id: string }[])[0]!.id;
    const completed = await harness.system.send('agent', 'rev-1', {
      type: 'CompleteTask',
      task_id: taskId,
      result: 'ok',
      usage: { prompt_tokens: 1000, completion_tokens: 200, cost_usd: 0.25 },
    });
    await harness.projections.waitFor(completed.position);
    await call('bzzz_thread', { action: 'create', topic: 't', participants: ['rev-1'] });

    const cost = await call('bzzz_report', { report: 'cost', by: 'agent', include_budget: true });
    expect(cost.body).toMatchObject({
      success: true,
      report: 'cost',
      result: {
        by: 'agent',
        rows: [{ key: 'rev-1', calls: 1, prompt_tokens: 1000, completion_tokens: 200, cost_usd: 0.25 }],
        totals: { calls: 1, total_tokens: 1200, cost_usd: 0.25 },
        budget: { overall: { spent_today: 0.25 } },
      },
      generated_at: expect.any(String),
    });
    const byDay = await call('bzzz_report', { report: 'cost', since: '2000-01-01', until: '2000-01-02' });
    expect(byDay.body).toMatchObject({
      result: { by: 'day', rows: [], totals: { calls: 0, cost_usd: null } },
    });

    const threads = await call('bzzz_report', { report: 'threads', status: 'active' });
    expect(threads.body).toMatchObject({
      result: { totals: { created: 1, active: 1, closed: 0 }, items: [{ topic: 't' }], next_cursor: null },
    });
    const stats = await call('bzzz_report', { report: 'stats' });
    expect(stats.body).toMatchObject({
      result: {
        active_agents: 1,
        tasks: { assigned: 1, completed: 1, in_flight: 0 },
        tokens_consumed: 1200,
        threads: { created: 1 },
      },
    });
    const bad = await call('bzzz_report', { report: 'cost', since: 'yesterday' });
    expect(bad).toMatchObject({ isError: true, body: { code: 'INVALID_PARAMETERS' } });
    const unknown = await call('bzzz_report', { report: 'weather' });
    expect(unknown).toMatchObject({ isError: true, body: { code: 'INVALID_PARAMETERS' } });
  });
});
