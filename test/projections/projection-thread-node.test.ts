/**
 * A node's projections run in a worker thread (src/node/bzzz-node.ts, src/projections/thread/): the
 * node's queries read what the worker wrote, and a restarted node resumes its views from their
 * checkpoints to exactly what an in-thread run over the same log builds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/actors/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { type BzzzNode, startBzzzNode } from '../../src/node/bzzz-node.js';
import { getAgent } from '../../src/projections/lookup/lookup-queries.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { ProjectionThread } from '../../src/projections/thread/projection-thread.js';
import { getThread } from '../../src/projections/threads/threads-queries.js';

const WAIT_MS = 20_000;

/**
 * Every row of every view, table by table, in a stable order (checkpoints aside: their times differ;
 * the lookup view's generation counters too: they count batches, and the two runs batch differently).
 */
function dump(db: Database.Database): Record<string, string[]> {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('projection_checkpoints', 'lookup_generation') ORDER BY name",
    )
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((table) => [
      table,
      db
        .prepare(`SELECT * FROM "${table}"`)
        .all()
        .map((row) => JSON.stringify(row))
        .sort(),
    ]),
  );
}

describe('node: projections in a worker thread', () => {
  const dirs: string[] = [];
  const nodes: BzzzNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('answers queries from what the worker wrote, and resumes after a restart to what an in-thread run builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-thread-node-'));
    dirs.push(dir);
    const config = loadConfig({ BZZZ_STORE: `sqlite:${dir}/bzzz.db`, BZZZ_PORT: '0' });
    const clock = new SimulatedClock(Date.parse('2026-06-01T20:00:00.000Z'));
    const options = { clock, effects: { requestTaskExecution: async () => {} } };
    const announce = { type: 'AnnounceAgent', heartbeat_timeout_s: 86_400 } as const;

    let node = startBzzzNode(config, options);
    nodes.push(node);
    expect(node.projections).toBeInstanceOf(ProjectionThread);
    let { system } = node.actors;
    const announced = await system.send('agent', 'architect-001', {
      ...announce,
      role: 'architect',
      capabilities: ['api_design'],
      project: 'alpha',
    });
    node.projections.noteWrite(
      announced.position,
      announced.events.map((event) => event.type),
    );
    await node.projections.settle(['lookup'], WAIT_MS);
    expect(getAgent(node.readModel, 'architect-001')).toMatchObject({ role: 'architect', project: 'alpha' });
    await system.send('agent', 'reviewer-001', { ...announce, role: 'reviewer', project: 'alpha' });
    await system.send('thread', 't-1', {
      type: 'CreateThread',
      topic: 'API design',
      participants: ['architect-001', 'reviewer-001'],
      creator: 'architect-001',
      project: 'alpha',
    });
    const posted = await system.send('thread', 't-1', {
      type: 'PostMessage',
      sender: 'architect-001',
      content: 'REST or gRPC?',
    });
    await node.projections.waitFor(posted.position, WAIT_MS);
    expect(getThread(node.readModel, 't-1')).toMatchObject({ topic: 'API design', message_count: 1 });
    await node.close();
    nodes.splice(0);

    node = startBzzzNode(config, options);
    nodes.push(node);
    system = node.actors.system;
    await system.send('thread', 't-1', { type: 'JoinThread', participant_id: 'reviewer-001' });
    await system.send('agent', 'architect-001', {
      type: 'AssignTask',
      task_id: 'task-1',
      task_type: 'design',
    });
    await system.send('agent', 'architect-001', {
      type: 'CompleteTask',
      task_id: 'task-1',
      result: { design: 'REST' },
      usage: { prompt_tokens: 1000, completion_tokens: 200, cost_usd: 0.5 },
    });
    const last = await system.send('thread', 't-1', {
      type: 'PostMessage',
      sender: 'reviewer-001',
      content: 'REST, with cursors',
    });
    await node.projections.waitFor(last.position, WAIT_MS);
    expect(getThread(node.readModel, 't-1')).toMatchObject({ message_count: 2 });
    const [head] = await node.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    expect(node.projections.status()).toEqual(
      projections.map(({ name }) =>
        expect.objectContaining({ name, state: 'running', position: head!.position }),
      ),
    );

    // The same log, projected from zero in this thread, into a file of its own.
    const rebuilt = openReadModelDatabase(join(dir, 'rebuilt.db'));
    try {
      const runner = new ProjectionRunner(node.store, rebuilt, projections);
      runner.start();
      await runner.waitFor(head!.position, WAIT_MS);
      const views = dump(node.readModel);
      expect(views.lookup_agents).toHaveLength(2);
      expect(views.cost_facts?.length).toBeGreaterThan(0);
      expect(views).toEqual(dump(rebuilt));
      expect(node.projections.status().map(({ name, events }) => [name, events])).toEqual(
        runner.status().map(({ name, events }) => [name, events]),
      );
      await runner.stop();
    } finally {
      rebuilt.close();
    }
  });
});
