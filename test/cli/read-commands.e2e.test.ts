import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { startBzzz } from '../support/bzzz-process.js';

/** The read-side commands of the built `bzzz`, on a store written beforehand. */
describe('bzzz agents | threads | report | projections (end to end, built bin)', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-cli-'));
    env = { BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}` };
    const store = openSqliteEventStore({ path: join(dir, 'bzzz.db'), nodeId: '12D3KooWCliTest' });
    const system = new ActorSystem({ store, kinds: actorKinds });
    await system.send('agent', 'architect-001', {
      type: 'AnnounceAgent',
      role: 'architect',
      model: 'gpt-4o',
      project: 'p1',
    });
    await system.send('agent', 'reviewer-001', {
      type: 'AnnounceAgent',
      role: 'reviewer',
      model: 'gpt-4o-mini',
    });
    await system.send('agent', 'reviewer-001', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    await system.send('agent', 'reviewer-001', {
      type: 'CompleteTask',
      task_id: 't1',
      result: 'ok',
      usage: { prompt_tokens: 1000, completion_tokens: 200, cost_usd: 0.0123 },
    });
    await system.send('thread', 'th-1', {
      type: 'CreateThread',
      topic: 'API design',
      participants: ['architect-001'],
      creator: 'architect-001',
    });
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...args: string[]) => {
    const bzzz = startBzzz(args, env);
    const code = await bzzz.exited;
    return { code, out: bzzz.stdout(), err: bzzz.stderr() };
  };

  it('lists agents as a table and as JSON', async () => {
    const table = await run('agents');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^id\s+role\s+status/m);
    expect(table.out).toMatch(/^architect-001\s+architect\s+idle/m);
    expect(table.out).toContain('2 agents');
    const json = await run('agents', 'bzzz://*:reviewer@*', '--format', 'json');
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({ id: 'reviewer-001', performance: 0.667 }),
    ]);
  });

  it('lists threads and reports cost by model as CSV', async () => {
    const threads = await run('threads', '--status', 'active', '--format', 'csv');
    expect(threads.out.trim().split('\n')).toEqual([
      'id,topic,status,messages,participants,last activity,stop reason',
      expect.stringMatching(/^th-1,API design,active,0,architect-001,/),
    ]);
    const cost = await run('report', 'cost', '--by', 'model', '--format', 'json');
    expect(cost.code).toBe(0);
    expect(JSON.parse(cost.out)).toEqual([
      expect.objectContaining({ key: 'gpt-4o-mini', calls: 1, cost_usd: 0.0123 }),
    ]);
  });

  it('rebuilds a projection with progress on stderr', async () => {
    const rebuilt = await run('projections', 'rebuild', 'lookup');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.err).toMatch(/lookup\s+\[#+\]\s+100%/);
    expect(rebuilt.out).toMatch(/rebuilt lookup: \d+ events applied/);
    expect((await run('projections', 'rebuild', 'nope')).code).toBe(2);
  });

  it('refuses bad options with one line and exit code 2', async () => {
    const bad = await run('agents', '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe('bzzz: --format xml is not one of table, json, csv');
  });
});
