import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecideContext } from '../../src/actors/actor-kind.js';
import type { AgentEvent, TaskAssigned } from '../../src/actors/agent/agent-events.js';
import { agentDeadlines, agentKind, HEARTBEAT_DEADLINE } from '../../src/actors/agent/agent-kind.js';
import { agentStatus, performanceScore } from '../../src/actors/agent/agent-view.js';
import { DomainErrorCode } from '../../src/actors/domain-error.js';
import { applyEvent, decideAndApply, initialState } from '../../src/actors/fold.js';
import { checkHistory, type PropertyStep } from '../support/actor-property.js';
import { SPEC_NOW, spec } from '../support/actor-spec.js';

const NOW = new Date(SPEC_NOW).toISOString();
const EARLIER = '2026-03-01T11:59:00.000Z';
const Code = DomainErrorCode;

const announced = (overrides: Partial<Extract<AgentEvent, { type: 'AgentAnnounced' }>> = {}): AgentEvent => ({
  type: 'AgentAnnounced',
  agent_id: 'a1',
  role: 'architect',
  capabilities: ['system_design'],
  specialization: 'distributed_systems',
  max_tasks: 3,
  model: null,
  system_prompt: null,
  cost_limits: null,
  project: null,
  owner: 'session-1',
  heartbeat_timeout_s: 90,
  announced_at: EARLIER,
  ...overrides,
});

const assigned = (taskId: string, overrides: Partial<TaskAssigned> = {}): AgentEvent => ({
  type: 'TaskAssigned',
  task_id: taskId,
  task_type: 'code_review',
  description: `review ${taskId}`,
  input: { code: 'x = 1', language: 'python' },
  thread_id: null,
  assigned_at: EARLIER,
  ...overrides,
});

const usage = { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 0, cost_usd: null };
const completed = (taskId: string): AgentEvent => ({
  type: 'TaskCompleted',
  task_id: taskId,
  result: { ok: true },
  usage,
  completed_at: EARLIER,
});
const failed = (taskId: string): AgentEvent => ({
  type: 'TaskFailed',
  task_id: taskId,
  code: 'OPENAI_ERROR',
  reason: 'rate limited',
  usage: null,
  failed_at: EARLIER,
});
const wentOffline: AgentEvent = { type: 'AgentWentOffline', at: EARLIER, last_heartbeat: EARLIER };
const errorReported: AgentEvent = {
  type: 'AgentErrorReported',
  code: 'OPENAI_ERROR',
  message: 'down',
  at: EARLIER,
};
const retired: AgentEvent = { type: 'AgentRetired', reason: null, retired_at: EARLIER };

const announce = {
  type: 'AnnounceAgent',
  role: 'architect',
  capabilities: ['system_design'],
  owner: 'session-1',
};
const sameProfile = { ...announce, specialization: 'distributed_systems' };
const assign = (taskId: string) => ({
  type: 'AssignTask',
  task_id: taskId,
  task_type: 'code_review',
  description: `review ${taskId}`,
  input: { code: 'x = 1', language: 'python' },
});
const complete = (taskId: string) => ({
  type: 'CompleteTask',
  task_id: taskId,
  result: 'done',
  usage: { prompt_tokens: 1, completion_tokens: 2 },
});
const fail = (taskId: string) => ({ type: 'FailTask', task_id: taskId, reason: 'boom' });

const context: DecideContext = { actorId: 'a1', now: SPEC_NOW, newId: () => 'id-1' };
const agent = spec(agentKind);

describe('agent: AnnounceAgent', () => {
  it('announces a new agent with defaults', () => {
    const state = agent
      .given()
      .when({ type: 'AnnounceAgent', role: 'reviewer' })
      .then([
        {
          type: 'AgentAnnounced',
          agent_id: 'a1',
          role: 'reviewer',
          capabilities: [],
          specialization: '',
          max_tasks: 3,
          model: null,
          system_prompt: null,
          cost_limits: null,
          project: null,
          owner: null,
          heartbeat_timeout_s: 90,
          announced_at: NOW,
        },
      ]);
    expect(agentKind.view(state)).toMatchObject({
      id: 'a1',
      status: 'idle',
      available: true,
      performance: 0.5,
    });
  });

  it('records every profile field and a custom role', () => {
    agent
      .given()
      .when({
        type: 'AnnounceAgent',
        role: 'prompt_engineer',
        capabilities: ['prompts'],
        specialization: 'llm',
        max_tasks: 7,
        model: 'gpt-5',
        system_prompt: 'You are precise.',
        cost_limits: { daily_usd: 5 },
        project: 'myproject',
        owner: 'node-9',
        heartbeat_timeout_s: 30,
      })
      .then([
        {
          type: 'AgentAnnounced',
          agent_id: 'a1',
          role: 'prompt_engineer',
          capabilities: ['prompts'],
          specialization: 'llm',
          max_tasks: 7,
          model: 'gpt-5',
          system_prompt: 'You are precise.',
          cost_limits: { daily_usd: 5 },
          project: 'myproject',
          owner: 'node-9',
          heartbeat_timeout_s: 30,
          announced_at: NOW,
        },
      ]);
  });

  it.each([
    ['a role that is no identifier', { type: 'AnnounceAgent', role: 'Chief Architect' }],
    ['no role', { type: 'AnnounceAgent' }],
    ['max_tasks 0', { type: 'AnnounceAgent', role: 'tester', max_tasks: 0 }],
    ['max_tasks 101', { type: 'AnnounceAgent', role: 'tester', max_tasks: 101 }],
    ['a negative cost limit', { type: 'AnnounceAgent', role: 'tester', cost_limits: { daily_usd: -1 } }],
  ])('refuses %s', (_, command) => {
    agent.given().when(command).thenThrows(Code.InvalidParameters);
  });

  it('refuses an agent id that cannot be part of an address', () => {
    spec(agentKind, 'a:b@c')
      .given()
      .when(announce)
      .thenThrows(Code.InvalidParameters, /agent id/);
  });

  it('lets the same owner update the profile', () => {
    const state = agent
      .given([announced()])
      .when({ ...announce, max_tasks: 5 })
      .then([
        {
          type: 'AgentProfileUpdated',
          role: 'architect',
          capabilities: ['system_design'],
          specialization: '',
          max_tasks: 5,
          model: null,
          system_prompt: null,
          cost_limits: null,
          project: null,
          owner: 'session-1',
          heartbeat_timeout_s: 90,
          updated_at: NOW,
        },
      ]);
    expect(agentKind.view(state)).toMatchObject({ max_tasks: 5, last_heartbeat: NOW, created_at: EARLIER });
  });

  it('takes the same profile again as a heartbeat', () => {
    agent
      .given([announced()])
      .when(sameProfile)
      .then([{ type: 'AgentHeartbeatReceived', at: NOW }]);
    agent
      .given([announced(), wentOffline])
      .when(sameProfile)
      .then([{ type: 'AgentCameOnline', at: NOW }]);
  });

  it('brings an offline agent back online with a new profile', () => {
    const state = agent
      .given([announced(), wentOffline])
      .when({ ...announce, role: 'devops' })
      .then([expect.objectContaining({ type: 'AgentProfileUpdated', role: 'devops' })]);
    expect(agentStatus(state)).toBe('idle');
  });

  it('refuses another owner, or an owner where none was recorded', () => {
    agent
      .given([announced()])
      .when({ ...announce, owner: 'session-2' })
      .thenThrows(Code.AgentExists);
    agent
      .given([announced()])
      .when({ type: 'AnnounceAgent', role: 'architect' })
      .thenThrows(Code.AgentExists);
    agent
      .given([announced({ owner: null })])
      .when(announce)
      .thenThrows(Code.AgentExists);
  });

  it('never reuses the id of a retired agent', () => {
    agent
      .given([announced(), retired])
      .when(announce)
      .thenThrows(Code.AgentExists, /retired/);
  });
});

describe('agent: RecordHeartbeat', () => {
  const heartbeat = { type: 'RecordHeartbeat' };
  it('records a heartbeat online and in error, and comes back online from offline', () => {
    agent
      .given([announced()])
      .when(heartbeat)
      .then([{ type: 'AgentHeartbeatReceived', at: NOW }]);
    const inError = agent
      .given([announced(), errorReported])
      .when(heartbeat)
      .then([{ type: 'AgentHeartbeatReceived', at: NOW }]);
    expect(agentStatus(inError)).toBe('error');
    const back = agent
      .given([announced(), assigned('t1'), wentOffline])
      .when(heartbeat)
      .then([{ type: 'AgentCameOnline', at: NOW }]);
    expect(agentStatus(back)).toBe('busy');
  });

  it('refuses an unknown or retired agent', () => {
    agent.given().when(heartbeat).thenThrows(Code.AgentNotFound);
    agent
      .given([announced(), retired])
      .when(heartbeat)
      .thenThrows(Code.InvalidTransition, /retired/);
  });
});

describe('agent: AssignTask', () => {
  it('assigns a task, turns busy and requests its execution', () => {
    const { events, state, effects } = decideAndApply(
      agentKind,
      agent.given([announced({ model: 'gpt-5', cost_limits: { per_task_usd: 1 } })]).state,
      { ...assign('t1'), thread_id: 'th-1' },
      context,
    );
    expect(events).toEqual([assigned('t1', { thread_id: 'th-1', assigned_at: NOW })]);
    expect(agentStatus(state)).toBe('busy');
    expect(agentKind.view(state)).toMatchObject({
      available: true,
      current_tasks: [{ id: 't1', status: 'pending' }],
    });
    expect(effects).toEqual([
      {
        type: 'requestTaskExecution',
        params: {
          agentId: 'a1',
          taskId: 't1',
          type: 'code_review',
          description: 'review t1',
          input: { code: 'x = 1', language: 'python' },
          threadId: 'th-1',
          model: 'gpt-5',
          systemPrompt: null,
          costLimits: { per_task_usd: 1 },
        },
      },
    ]);
  });

  it('defaults description and input, and accepts custom task types', () => {
    agent
      .given([announced()])
      .when({ type: 'AssignTask', task_id: 't1', task_type: 'threat_model' })
      .then([assigned('t1', { task_type: 'threat_model', description: '', input: {}, assigned_at: NOW })]);
  });

  it('refuses a task beyond max_tasks and becomes unavailable at the limit', () => {
    const full = agent.given([announced({ max_tasks: 2 }), assigned('t1'), assigned('t2')]);
    expect(agentKind.view(full.state)).toMatchObject({ status: 'busy', available: false });
    full.when(assign('t3')).thenThrows(Code.MaxTasksReached);
  });

  it('ignores a duplicate assignment and refuses a reused id with other content', () => {
    agent
      .given([announced(), assigned('t1')])
      .when(assign('t1'))
      .thenNothingHappened();
    agent
      .given([announced(), assigned('t1'), completed('t1')])
      .when(assign('t1'))
      .thenNothingHappened();
    agent
      .given([announced(), assigned('t1')])
      .when({ ...assign('t1'), description: 'other' })
      .thenThrows(Code.InvalidParameters);
  });

  it('refuses an agent that is offline, in error, retired or unknown', () => {
    agent
      .given([announced(), wentOffline])
      .when(assign('t1'))
      .thenThrows(Code.InvalidTransition, /offline/);
    agent.given([announced(), errorReported]).when(assign('t1')).thenThrows(Code.InvalidTransition, /error/);
    agent
      .given([announced(), retired])
      .when(assign('t1'))
      .thenThrows(Code.InvalidTransition, /retired/);
    agent.given().when(assign('t1')).thenThrows(Code.AgentNotFound);
  });

  it('refuses a malformed task type', () => {
    agent
      .given([announced()])
      .when({ ...assign('t1'), task_type: 'Code Review' })
      .thenThrows(Code.InvalidParameters);
  });
});

describe('agent: StartTask', () => {
  const start = (taskId: string) => ({ type: 'StartTask', task_id: taskId });
  it('starts a pending task', () => {
    const state = agent
      .given([announced(), assigned('t1')])
      .when(start('t1'))
      .then([{ type: 'TaskStarted', task_id: 't1', started_at: NOW }]);
    expect(agentKind.view(state)).toMatchObject({
      current_tasks: [{ status: 'in_progress', started_at: NOW }],
    });
  });

  it('ignores a started or finished task', () => {
    const started: AgentEvent = { type: 'TaskStarted', task_id: 't1', started_at: EARLIER };
    agent
      .given([announced(), assigned('t1'), started])
      .when(start('t1'))
      .thenNothingHappened();
    agent
      .given([announced(), assigned('t1'), completed('t1')])
      .when(start('t1'))
      .thenNothingHappened();
  });

  it('refuses an unknown task or agent', () => {
    agent.given([announced()]).when(start('t9')).thenThrows(Code.TaskNotFound);
    agent.given().when(start('t1')).thenThrows(Code.AgentNotFound);
    agent.given([announced(), retired]).when(start('t9')).thenThrows(Code.InvalidTransition);
  });
});

describe('agent: CompleteTask', () => {
  it('completes a task, records usage and goes idle', () => {
    const state = agent
      .given([announced(), assigned('t1')])
      .when(complete('t1'))
      .then([
        {
          type: 'TaskCompleted',
          task_id: 't1',
          result: 'done',
          usage: { prompt_tokens: 1, completion_tokens: 2, cached_tokens: 0, cost_usd: null },
          completed_at: NOW,
        },
      ]);
    expect(agentKind.view(state)).toMatchObject({
      status: 'idle',
      completed_tasks: 1,
      performance: 2 / 3,
      current_tasks: [],
      recent_activity: [{ id: 't1', status: 'completed', result: 'done', end_time: NOW }],
      usage: { prompt_tokens: 1, completion_tokens: 2, cached_tokens: 0, cost_usd: 0 },
    });
  });

  it('accepts an outcome while offline or in error, without changing the status', () => {
    const offline = agent
      .given([announced(), assigned('t1'), wentOffline])
      .when(complete('t1'))
      .then([expect.objectContaining({ type: 'TaskCompleted' })]);
    expect(agentStatus(offline)).toBe('offline');
  });

  it('is idempotent: a second outcome of a finished task changes nothing', () => {
    agent
      .given([announced(), assigned('t1'), completed('t1')])
      .when(complete('t1'))
      .thenNothingHappened();
    agent
      .given([announced(), assigned('t1'), failed('t1')])
      .when(complete('t1'))
      .thenNothingHappened();
  });

  it('refuses an unknown task, a malformed usage or an unknown agent', () => {
    agent.given([announced()]).when(complete('t9')).thenThrows(Code.TaskNotFound);
    agent
      .given([announced(), assigned('t1')])
      .when({ ...complete('t1'), usage: { prompt_tokens: -1, completion_tokens: 0 } })
      .thenThrows(Code.InvalidParameters);
    agent.given().when(complete('t1')).thenThrows(Code.AgentNotFound);
  });
});

describe('agent: FailTask', () => {
  it('fails a task with a default code', () => {
    const state = agent
      .given([announced(), assigned('t1')])
      .when(fail('t1'))
      .then([
        {
          type: 'TaskFailed',
          task_id: 't1',
          code: 'TASK_FAILED',
          reason: 'boom',
          usage: null,
          failed_at: NOW,
        },
      ]);
    expect(agentKind.view(state)).toMatchObject({
      failed_tasks: 1,
      performance: 1 / 3,
      recent_activity: [{ id: 't1', status: 'failed', error: 'boom', error_code: 'TASK_FAILED' }],
    });
  });

  it('ignores a finished task and refuses an unknown one', () => {
    agent
      .given([announced(), assigned('t1'), completed('t1')])
      .when(fail('t1'))
      .thenNothingHappened();
    agent.given([announced()]).when(fail('t9')).thenThrows(Code.TaskNotFound);
    agent.given().when(fail('t1')).thenThrows(Code.AgentNotFound);
  });
});

describe('agent: ReportError and RecoverAgent', () => {
  const report = { type: 'ReportError', code: 'OPENAI_ERROR', message: 'down' };
  it('goes to error from any announced state', () => {
    for (const history of [[announced()], [announced(), wentOffline], [announced(), errorReported]]) {
      const state = agent
        .given(history)
        .when(report)
        .then([{ ...report, type: 'AgentErrorReported', at: NOW }]);
      expect(agentKind.view(state)).toMatchObject({ status: 'error', available: false });
    }
  });

  it('recovers to busy when tasks are in flight, and ignores a recovery outside error', () => {
    const state = agent
      .given([announced(), assigned('t1'), errorReported])
      .when({ type: 'RecoverAgent' })
      .then([{ type: 'AgentRecovered', at: NOW }]);
    expect(agentStatus(state)).toBe('busy');
    agent.given([announced()]).when({ type: 'RecoverAgent' }).thenNothingHappened();
  });

  it('refuses an unknown or retired agent', () => {
    agent.given().when(report).thenThrows(Code.AgentNotFound);
    agent.given([announced(), retired]).when(report).thenThrows(Code.InvalidTransition);
    agent.given().when({ type: 'RecoverAgent' }).thenThrows(Code.AgentNotFound);
    agent.given([announced(), retired]).when({ type: 'RecoverAgent' }).thenThrows(Code.InvalidTransition);
  });
});

describe('agent: RetireAgent', () => {
  it('fails the in-flight tasks, then retires', () => {
    const state = agent
      .given([announced(), assigned('t1'), assigned('t2'), completed('t2')])
      .when({ type: 'RetireAgent', reason: 'replaced' })
      .then([
        {
          type: 'TaskFailed',
          task_id: 't1',
          code: 'AGENT_RETIRED',
          reason: 'agent retired: replaced',
          usage: null,
          failed_at: NOW,
        },
        { type: 'AgentRetired', reason: 'replaced', retired_at: NOW },
      ]);
    expect(agentKind.view(state)).toMatchObject({ status: 'retired', available: false, current_tasks: [] });
    expect(state.status).toBe('done');
  });

  it('ignores late outcomes of tasks it failed, and refuses everything else', () => {
    const history = [announced(), assigned('t1'), { ...failed('t1'), code: 'AGENT_RETIRED' }, retired];
    agent.given(history).when(complete('t1')).thenNothingHappened();
    agent.given(history).when({ type: 'RetireAgent' }).thenThrows(Code.InvalidTransition);
    agent.given().when({ type: 'RetireAgent' }).thenThrows(Code.AgentNotFound);
  });
});

describe('agent: machine invariants', () => {
  it('refuses events that break them, whatever decide would do', () => {
    const state = agent.given([announced({ max_tasks: 1 }), assigned('t1')]).state;
    expect(() => applyEvent(agentKind, state, assigned('t2'))).toThrow(/cannot take TaskAssigned/);
    expect(() => applyEvent(agentKind, state, retired)).toThrow(/cannot take AgentRetired/);
    expect(() => applyEvent(agentKind, state, completed('t9'))).toThrow(/cannot take TaskCompleted/);
    expect(() => applyEvent(agentKind, initialState(agentKind, 'a1'), assigned('t1'))).toThrow(/unannounced/);
  });

  it('keeps the last 20 finished tasks and counts all of them', () => {
    const history: AgentEvent[] = [announced()];
    for (let i = 0; i < 25; i++)
      history.push(assigned(`t${i}`), i % 5 === 0 ? failed(`t${i}`) : completed(`t${i}`));
    const view = agentKind.view(agent.given(history).state);
    expect(view).toMatchObject({
      completed_tasks: 20,
      failed_tasks: 5,
      performance: performanceScore(20, 5),
    });
    const recent = view.recent_activity as { id: string }[];
    expect(recent.map((task) => task.id)).toEqual(Array.from({ length: 20 }, (_, i) => `t${24 - i}`));
  });

  it('scores 0.95 after 18 completions and no failure, as in the seed', () => {
    expect(performanceScore(18, 0)).toBe(0.95);
  });
});

describe('agent: heartbeat deadline', () => {
  it('is due heartbeat_timeout_s after the announcement, then after each heartbeat', () => {
    const fresh = agent.given([announced({ heartbeat_timeout_s: 30 })]).state;
    const dueAt = Date.parse(EARLIER) + 30_000;
    // The event is a getter (built when the deadline fires): toMatchObject reads it, toEqual would not.
    expect(agentDeadlines(fresh)).toHaveLength(1);
    expect(agentDeadlines(fresh)).toMatchObject([
      {
        key: HEARTBEAT_DEADLINE,
        dueAt,
        event: { type: 'AgentWentOffline', at: new Date(dueAt).toISOString(), last_heartbeat: EARLIER },
      },
    ]);
    const beaten = agent.given([announced(), { type: 'AgentHeartbeatReceived', at: NOW }]).state;
    expect(agentKind.deadlines?.(beaten)).toMatchObject([
      { dueAt: SPEC_NOW + 90_000, event: { type: 'AgentWentOffline', last_heartbeat: NOW } },
    ]);
  });

  it('takes the agent offline when it fires, and a stale one is refused', () => {
    const online = agent.given([announced(), assigned('t1')]).state;
    const [deadline] = agentDeadlines(online);
    const [offline] = applyEvent(agentKind, online, deadline!.event);
    expect(agentKind.view(offline)).toMatchObject({ status: 'offline', available: false });
    const [beaten] = applyEvent(agentKind, online, { type: 'AgentHeartbeatReceived', at: NOW });
    expect(() => applyEvent(agentKind, beaten, deadline!.event)).toThrow(/cannot take AgentWentOffline/);
  });

  it('is not armed before the announcement, offline, in error or retired', () => {
    expect(agentDeadlines(initialState(agentKind, 'a1'))).toEqual([]);
    for (const history of [
      [announced(), wentOffline],
      [announced(), errorReported],
      [announced(), retired],
    ]) {
      expect(agentDeadlines(agent.given(history).state)).toEqual([]);
    }
  });
});

describe('agent: random histories', () => {
  const taskId = fc.constantFrom('t1', 't2', 't3', 't4', 't5');
  const announceCommand = fc.record(
    {
      type: fc.constant('AnnounceAgent'),
      role: fc.constantFrom('architect', 'tester', 'Bad Role'),
      max_tasks: fc.integer({ min: 0, max: 4 }),
      owner: fc.constantFrom(undefined, 'o1', 'o2'),
      heartbeat_timeout_s: fc.constantFrom(5, 90),
    },
    { requiredKeys: ['type', 'role'] },
  );
  const command = fc.oneof(
    { weight: 2, arbitrary: announceCommand },
    { weight: 2, arbitrary: fc.constant({ type: 'RecordHeartbeat' }) },
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constant('AssignTask'),
        task_id: taskId,
        task_type: fc.constantFrom('code_review', 'documentation', 'Not A Type'),
        description: fc.constantFrom('a', 'b'),
      }),
    },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('StartTask'), task_id: taskId }) },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('CompleteTask'),
        task_id: taskId,
        result: fc.constantFrom<unknown>('done', { ok: true }, null, [1, 2]),
        usage: fc.record({
          prompt_tokens: fc.integer({ min: 0, max: 1000 }),
          completion_tokens: fc.integer({ min: -1, max: 1000 }),
          cost_usd: fc.constantFrom(0.25, 0.5),
        }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant('FailTask'),
        task_id: taskId,
        reason: fc.constantFrom('boom', ''),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ type: 'ReportError', code: 'OPENAI_ERROR', message: 'down' }) },
    { weight: 1, arbitrary: fc.constant({ type: 'RecoverAgent' }) },
    { weight: 1, arbitrary: fc.constantFrom({ type: 'RetireAgent' }, { type: 'NoSuchCommand' }) },
  );
  const step: fc.Arbitrary<PropertyStep> = fc.oneof(
    { weight: 9, arbitrary: fc.record({ command, advanceMs: fc.integer({ min: 0, max: 20_000 }) }) },
    { weight: 1, arbitrary: fc.record({ fireDeadlinesAfterMs: fc.integer({ min: 0, max: 200_000 }) }) },
  );

  it('throw only DomainErrors, and replaying their events gives the same view', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 80, size: 'medium' }), (steps) => {
        const first = { type: 'AnnounceAgent', role: 'tester', max_tasks: 3, owner: 'o1' };
        const { state } = checkHistory(agentKind, 'a1', [{ command: first, advanceMs: 0 }, ...steps]);
        const view = agentKind.view(state);
        expect(view.performance).toBeGreaterThan(0);
        expect(view.performance).toBeLessThan(1);
      }),
      { numRuns: 300 },
    );
  });
});
