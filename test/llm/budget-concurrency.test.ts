import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/events/json.js';
import { DEFAULT_PRICES } from '../../src/llm/prices.js';
import { roundUsd } from '../../src/projections/cost/cost-queries.js';
import { type LlmFixture, startLlmFixture } from './llm-fixture.js';

const LIMIT = 0.5;
const TASKS = 50;

/** Reservations make the budget hold under concurrency: the settled total never passes the limit. */
describe('the budget guard under 50 concurrent tasks', () => {
  let fixture: LlmFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it.each([
    ['the node daily limit', { dailyUsd: LIMIT, monthlyUsd: 1000, agentDailyUsd: null, perTaskUsd: null }],
    ['the node monthly limit', { dailyUsd: null, monthlyUsd: LIMIT, agentDailyUsd: null, perTaskUsd: null }],
    [
      'the per-agent daily limit',
      { dailyUsd: null, monthlyUsd: null, agentDailyUsd: LIMIT, perTaskUsd: null },
    ],
  ])('never settles more than %s; the other calls are refused without a request', async (_, limits) => {
    fixture = await startLlmFixture({
      config: {
        defaultModel: 'pricey',
        maxTokens: 10,
        // $0.001 per prompt token, $0.002 per completion token: a call costs about $0.035.
        prices: { ...DEFAULT_PRICES, pricey: { input: 1000, cached_input: 500, output: 2000 } },
        limits,
      },
    });
    const f = fixture;
    // Every call takes a while, so all 50 are in flight together.
    f.double.fallback = () => ({ type: 'completion', delayMs: 30, usage: { completion_tokens: 10 } });
    const agents = ['a0', 'a1', 'a2', 'a3', 'a4'];
    // The per-agent scenario puts every task on one agent.
    const onAgents = limits.agentDailyUsd === null ? agents : ['a0'];
    for (const agent of onAgents) await f.announce(agent, { system_prompt: 'Be brief.' });
    await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        f.assign(onAgents[i % onAgents.length]!, `t${i}`, 'chat_completion', { prompt: `question ${i}` }),
      ),
    );
    await f.system.settled();

    // Outcomes from the log: an agent keeps only its last 20 finished tasks in its state.
    const tasks: JsonObject[] = [];
    for (const agent of onAgents) {
      const { state } = await f.system.inspect('agent', agent);
      expect(state.current_tasks).toEqual([]);
      for (const event of await f.store.readStream(`agent-${agent}`)) {
        if (event.type === 'TaskCompleted')
          tasks.push({ ...(event.data as JsonObject), status: 'completed' });
        if (event.type === 'TaskFailed') tasks.push({ ...(event.data as JsonObject), status: 'failed' });
      }
    }
    expect(tasks).toHaveLength(TASKS);
    const completed = tasks.filter((task) => task.status === 'completed');
    const refused = tasks.filter((task) => task.status === 'failed');
    expect(completed.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((task) => task.code === 'COST_LIMIT_EXCEEDED')).toBe(true);
    // Refused tasks sent nothing: exactly one request per completed task.
    expect(f.double.count).toBe(completed.length);

    const settled = roundUsd(
      completed.reduce((sum, task) => sum + ((task.usage as JsonObject).cost_usd as number), 0),
    );
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThanOrEqual(LIMIT);
    const scope = limits.agentDailyUsd === null ? null : 'a0';
    const period = limits.dailyUsd === null && limits.agentDailyUsd === null ? 'month' : 'day';
    expect(f.llm.guard.usage(scope, period)).toEqual({ spent: settled, reserved: 0 });
  });
});
