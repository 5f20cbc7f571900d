import { describe, expect, it } from 'vitest';
import { BudgetGuard, type CallLimits, type SpendFact } from '../../src/llm/budget-guard.js';
import { CircuitBreaker } from '../../src/llm/circuit-breaker.js';

const NONE: CallLimits = {
  dailyUsd: null,
  monthlyUsd: null,
  agentDailyUsd: null,
  agentMonthlyUsd: null,
  perTaskUsd: null,
};

function guardAt(time: { now: number }, baseline: SpendFact[] = []) {
  return new BudgetGuard({ warningThreshold: 0.8, now: () => time.now, baseline: async () => baseline });
}

describe('the budget guard', () => {
  it('reserves worst cases, refuses what would pass a limit, and settles actual costs', async () => {
    const time = { now: Date.parse('2026-03-10T12:00:00Z') };
    const guard = guardAt(time);
    const limits = { ...NONE, dailyUsd: 1 };
    const request = (taskId: string, worstCaseUsd: number | null) => ({
      agentId: 'a',
      taskId,
      worstCaseUsd,
      limits,
    });
    const first = await guard.reserve(request('t1', 0.6));
    expect(first.ok).toBe(true);
    const second = await guard.reserve(request('t2', 0.6));
    expect(second).toMatchObject({
      ok: false,
      refusal: {
        agent_id: null,
        period: 'day',
        period_key: '2026-03-10',
        limit_usd: 1,
        spent_usd: 0,
        reserved_usd: 0.6,
      },
      crossings: [{ level: 'exceeded', period: 'day', agent_id: null }],
    });
    if (!first.ok) throw new Error('unreachable');
    expect(guard.settle(first.reservation, 0.5, request('t1', 0.6))).toEqual([]);
    expect(guard.usage(null, 'day')).toEqual({ spent: 0.5, reserved: 0 });
    const third = await guard.reserve(request('t3', 0.4));
    if (!third.ok) throw new Error('refused');
    const crossings = guard.settle(third.reservation, 0.35, request('t3', 0.4));
    expect(crossings).toEqual([
      expect.objectContaining({
        agent_id: null,
        period: 'day',
        level: 'warning',
        limit_usd: 1,
        spent_usd: 0.85,
      }),
    ]);
    // Settling twice changes nothing.
    expect(guard.settle(third.reservation, 0.35, request('t3', 0.4))).toEqual([]);
    expect(guard.usage(null, 'day').spent).toBe(0.85);
  });

  it('lets a call of unknown price through until a limit is used up, and releases failed calls', async () => {
    const time = { now: Date.parse('2026-03-10T12:00:00Z') };
    const guard = guardAt(time);
    const limits = { ...NONE, agentDailyUsd: 0.1 };
    const unknown = await guard.reserve({ agentId: 'a', taskId: 't1', worstCaseUsd: null, limits });
    expect(unknown.ok).toBe(true);
    const priced = await guard.reserve({ agentId: 'a', taskId: 't2', worstCaseUsd: 0.1, limits });
    if (!priced.ok) throw new Error('refused');
    expect(guard.usage('a', 'day').reserved).toBe(0.1);
    guard.release(priced.reservation);
    expect(guard.usage('a', 'day')).toEqual({ spent: 0, reserved: 0 });
    const spent = await guard.reserve({ agentId: 'a', taskId: 't3', worstCaseUsd: 0.1, limits });
    if (!spent.ok) throw new Error('refused');
    guard.settle(spent.reservation, 0.1, { agentId: 'a', taskId: 't3', worstCaseUsd: 0.1, limits });
    expect(await guard.reserve({ agentId: 'a', taskId: 't4', worstCaseUsd: null, limits })).toMatchObject({
      ok: false,
    });
    // Another agent is not limited by a's spend.
    expect(await guard.reserve({ agentId: 'b', taskId: 't5', worstCaseUsd: 0.1, limits })).toMatchObject({
      ok: true,
    });
  });

  it('starts from the baseline of this month and begins a new day and month at zero', async () => {
    const time = { now: Date.parse('2026-03-31T23:00:00Z') };
    const guard = guardAt(time, [
      { agentId: 'a', taskId: 't0', at: '2026-03-31T01:00:00.000Z', costUsd: 4 },
      { agentId: null, taskId: null, at: '2026-03-02T01:00:00.000Z', costUsd: 5 },
      { agentId: 'a', taskId: 'old', at: '2026-02-27T01:00:00.000Z', costUsd: 100 },
    ]);
    const limits = { ...NONE, dailyUsd: 5, monthlyUsd: 10 };
    expect(await guard.reserve({ agentId: 'a', taskId: 't1', worstCaseUsd: 1.5, limits })).toMatchObject({
      ok: false,
      refusal: { period: 'day', spent_usd: 4 },
    });
    expect(guard.usage(null, 'month').spent).toBe(9);
    time.now = Date.parse('2026-04-01T00:30:00Z');
    expect(guard.usage(null, 'month').spent).toBe(0);
    expect(await guard.reserve({ agentId: 'a', taskId: 't1', worstCaseUsd: 4.5, limits })).toMatchObject({
      ok: true,
    });
  });

  it('applies the per-task limit to the task across its calls', async () => {
    const guard = guardAt({ now: Date.parse('2026-03-10T12:00:00Z') });
    const limits = { ...NONE, perTaskUsd: 0.05 };
    const request = { agentId: 'a', taskId: 't1', worstCaseUsd: 0.04, limits };
    const first = await guard.reserve(request);
    if (!first.ok) throw new Error('refused');
    expect(guard.usage('a', 'task', 't1')).toEqual({ spent: 0, reserved: 0.04 });
    guard.settle(first.reservation, 0.03, request);
    expect(guard.usage('a', 'task', 't1')).toEqual({ spent: 0.03, reserved: 0 });
    expect(await guard.reserve(request)).toMatchObject({
      ok: false,
      refusal: { period: 'task', period_key: 't1' },
    });
    expect(await guard.reserve({ ...request, taskId: 't2' })).toMatchObject({ ok: true });
  });

  it('forgets a task when its run ends, so the scopes held do not grow with the tasks run', async () => {
    const guard = guardAt({ now: Date.parse('2026-03-10T12:00:00Z') });
    const limits = { ...NONE, dailyUsd: 1000, perTaskUsd: 0.05 };
    for (let i = 0; i < 1000; i++) {
      const request = { agentId: 'a', taskId: `t${i}`, worstCaseUsd: 0.04, limits };
      const reserved = await guard.reserve(request);
      if (!reserved.ok) throw new Error('refused');
      // Past the warning threshold of the per-task limit: a crossing is reported for each task.
      expect(guard.settle(reserved.reservation, 0.045, request)).toEqual([
        expect.objectContaining({ period: 'task', period_key: `t${i}`, level: 'warning' }),
      ]);
      guard.forgetTask('a', `t${i}`);
    }
    // The node's and the agent's day and month: nothing per task.
    expect(guard.scopeCount).toBe(4);
    expect(guard.usage(null, 'day').spent).toBeCloseTo(45, 6);
    // A task still holding a reservation is not forgotten.
    const request = { agentId: 'a', taskId: 'open', worstCaseUsd: 0.04, limits };
    const open = await guard.reserve(request);
    guard.forgetTask('a', 'open');
    expect(guard.scopeCount).toBe(5);
    if (open.ok) guard.release(open.reservation);
    guard.forgetTask('a', 'open');
    expect(guard.scopeCount).toBe(4);
  });
});

describe('the circuit breaker', () => {
  it('opens after the threshold, lets one probe through after the open time, and closes on success', () => {
    const time = { now: 0 };
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1000 }, () => time.now);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.tryAcquire();
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    time.now = 1000;
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.failure();
    expect(breaker.state).toBe('open');
    time.now = 2000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    // Neutral outcomes (a 400, a cancel) neither open nor close it.
    breaker.tryAcquire();
    breaker.neutral();
    expect(breaker.state).toBe('closed');
  });
});
