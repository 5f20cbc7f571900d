import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startActorRuntime } from '../../src/actors/actor-runtime.js';
import { actorKinds } from '../../src/actors/kinds.js';
import { stateAt } from '../../src/audit/replay.js';
import { createLlmService } from '../../src/llm/llm-service.js';
import { spentFromEventLog } from '../../src/llm/spent-from-log.js';
import { costBy, costWarnings } from '../../src/projections/cost/cost-queries.js';
import { budgetStatus } from '../../src/projections/cost/cost-budget.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { type LlmFixture, startLlmFixture } from './llm-fixture.js';

/** The API is called by effects only: replaying the log or rebuilding the views calls it zero times. */
describe('replay and rebuild', () => {
  let fixture: LlmFixture | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function historyWithCalls() {
    fixture = await startLlmFixture();
    const f = fixture;
    f.double.enqueue(
      { type: 'completion', usage: { prompt_tokens: 1000, cached_tokens: 500, completion_tokens: 100 } },
      { type: 'completion', usage: { prompt_tokens: 2000, completion_tokens: 200, reasoning_tokens: 50 } },
      { type: 'error', status: 400, message: 'bad request' },
    );
    await f.announce('a1');
    await f.announce('local', { model: 'llama3.1:8b' });
    await f.assign('a1', 't1', 'chat_completion', { prompt: 'one' });
    await f.system.settled();
    await f.assign('a1', 't2', 'code_review', { code: 'x', language: 'js' });
    await f.system.settled();
    await f.assign('a1', 't3', 'documentation', { content: 'api', audience: 'users' });
    await f.system.settled();
    await f.assign('local', 't4', 'chat_completion', { prompt: 'four' });
    await f.system.settled();
    return f;
  }

  it('rehydrating every actor in a fresh runtime and replaying their streams sends no request', async () => {
    const f = await historyWithCalls();
    const calls = f.double.count;
    expect(calls).toBe(4);

    // A second runtime on the same store, with the real task effect wired: rehydration folds the log.
    const llm = createLlmService({
      config: f.config,
      store: f.store,
      system: () => second.system,
      log: () => {},
    });
    const second = startActorRuntime({
      store: f.store,
      kinds: actorKinds,
      runtimeDbPath: ':memory:',
      effects: llm.effects,
    });
    try {
      await second.recovered;
      for (const agent of ['a1', 'local']) {
        const { state } = await second.system.inspect('agent', agent);
        expect(state.current_tasks).toEqual([]);
      }
      expect((await second.system.inspect('agent', 'a1')).state).toMatchObject({
        completed_tasks: 2,
        failed_tasks: 1,
      });
      await second.system.settled();
    } finally {
      await second.close();
    }
    for (const stream of ['agent-a1', 'agent-local']) await stateAt(f.store, actorKinds, stream);
    expect(f.double.count).toBe(calls);
  });

  it('a restart with the same runtime cache recovers no effect and sends no request', async () => {
    fixture = await startLlmFixture();
    const f = fixture;
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-llm-runtime-'));
    dirs.push(dir);
    const runtimeDbPath = join(dir, 'runtime.db');
    const run = () => {
      const llm = createLlmService({
        config: f.config,
        store: f.store,
        system: () => runtime.system,
        log: () => {},
      });
      const runtime = startActorRuntime({
        store: f.store,
        kinds: actorKinds,
        runtimeDbPath,
        effects: llm.effects,
      });
      return runtime;
    };
    const first = run();
    await first.system.send('agent', 'b1', { type: 'AnnounceAgent', role: 'developer' });
    await first.system.send('agent', 'b1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'chat_completion',
      input: { prompt: 'hi' },
    });
    await first.system.settled();
    await first.close();
    expect(f.double.count).toBe(1);

    const second = run();
    expect(await second.recovered).toBe(0);
    await second.system.inspect('agent', 'b1');
    await second.system.settled();
    await second.close();
    expect(f.double.count).toBe(1);
  });

  it('rebuilding every view sends no request, and the cost view counts each call once', async () => {
    const f = await historyWithCalls();
    const calls = f.double.count;
    const readModel = openReadModelDatabase(':memory:');
    const runner = new ProjectionRunner(f.store, readModel, projections);
    try {
      runner.start();
      const [head] = await f.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
      await runner.waitFor(head!.position, 10_000);
      for (const projection of projections) await runner.rebuild(projection.name);
      await runner.waitFor(head!.position, 10_000);

      const byModel = costBy(readModel, { by: 'model' });
      // gpt-4o-mini: (500 × 0.15 + 500 × 0.075 + 100 × 0.6) / 1M and (2000 × 0.15 + 200 × 0.6) / 1M
      expect(byModel).toEqual([
        expect.objectContaining({ key: 'gpt-4o-mini', calls: 2, cost_usd: 0.0005925, unknown_cost_calls: 0 }),
        expect.objectContaining({ key: 'llama3.1:8b', calls: 1, cost_usd: null, unknown_cost_calls: 1 }),
      ]);
      const status = budgetStatus(readModel);
      expect(status.overall.spent_today).toBe(0.0005925);
      expect(status.overall.unknown_cost_calls_today).toBe(1);
      expect(costWarnings(readModel)).toEqual([]);
      // The guard's ledger starts from the same total, read from the log.
      const facts = await spentFromEventLog(f.store, Date.now());
      expect(facts.reduce((sum, fact) => sum + fact.costUsd, 0)).toBeCloseTo(0.0005925, 12);
    } finally {
      await runner.stop();
      readModel.close();
    }
    expect(f.double.count).toBe(calls);
  });
});
