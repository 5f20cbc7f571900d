import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAddress } from '../../src/actors/address.js';
import { ActorSystem, type CommandResult } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { RecordedEvent } from '../../src/events/types.js';
import {
  announceWrites,
  UNANNOUNCED_WRITES_SEEN_WITHIN_MS,
  writeAnnounced,
} from '../../src/projections/announced-writes.js';
import { lookupProjection } from '../../src/projections/lookup/lookup-projection.js';
import {
  getAgent,
  lookupAgents,
  lookupQuery,
  preparedLookupShapes,
} from '../../src/projections/lookup/lookup-queries.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { tempStore } from '../support/temp-store.js';

describe('lookup projection', () => {
  let temp: ReturnType<typeof tempStore>;
  let system: ActorSystem;
  let runner: ProjectionRunner;
  let db: ReturnType<typeof openReadModelDatabase>;
  const send = (id: string, command: { type: string; [k: string]: unknown }) =>
    system.send('agent', id, command);
  const settle = async (result: CommandResult) => runner.waitFor(result.position);

  beforeEach(() => {
    temp = tempStore('bzzz-lookup-');
    const store = temp.open();
    system = new ActorSystem({ store, kinds: actorKinds });
    db = openReadModelDatabase(':memory:');
    runner = new ProjectionRunner(store, db, [lookupProjection]);
    runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    db.close();
    await temp.dispose();
  });

  async function team() {
    await send('architect-001', {
      type: 'AnnounceAgent',
      role: 'architect',
      capabilities: ['system_design', 'api_design'],
      project: 'myproject',
    });
    await send('architect-002', {
      type: 'AnnounceAgent',
      role: 'architect',
      capabilities: ['system_design'],
      project: 'other',
    });
    await send('reviewer-001', {
      type: 'AnnounceAgent',
      role: 'reviewer',
      capabilities: ['code_review'],
      specialization: 'security',
      project: 'myproject',
    });
    return send('tester-001', {
      type: 'AnnounceAgent',
      role: 'tester',
      capabilities: ['e2e'],
      project: 'myproject',
      max_tasks: 1,
    });
  }

  it('finds an agent right after announcing it (read-your-writes)', async () => {
    const result = await send('architect-001', {
      type: 'AnnounceAgent',
      role: 'architect',
      capabilities: ['api_design'],
    });
    await settle(result);
    expect(getAgent(db, 'architect-001')).toMatchObject({
      id: 'architect-001',
      role: 'architect',
      capabilities: ['api_design'],
      status: 'idle',
      available: true,
      performance: 0.5,
      node_id: '12D3KooWTestNode',
      score: 70,
    });
  });

  it('matches semantic addresses with wildcards, projects and tasks', async () => {
    await settle(await team());
    const ids = (address: string) => lookupAgents(db, parseAddress(address)).map((m) => m.id);
    expect(ids('bzzz://*:architect@*')).toEqual(['architect-001', 'architect-002']);
    expect(ids('bzzz://*:architect@myproject')).toEqual(['architect-001']);
    expect(ids('bzzz://*:architect@myproject:api_design')).toEqual(['architect-001']);
    expect(ids('bzzz://*:*@myproject:security')).toEqual(['reviewer-001']);
    expect(ids('bzzz://*-001:*@*')).toEqual(['architect-001', 'reviewer-001', 'tester-001']);
    expect(ids('bzzz://arch*')).toEqual(['architect-001', 'architect-002']);
    expect(ids('bzzz://*:devops@*')).toEqual([]);
  });

  it('applies the filter criteria and ranks by the documented score', async () => {
    await team();
    await send('tester-001', { type: 'AssignTask', task_id: 't1', task_type: 'code_review' });
    await send('architect-002', { type: 'AssignTask', task_id: 't2', task_type: 'architecture_analysis' });
    await send('architect-002', {
      type: 'CompleteTask',
      task_id: 't2',
      result: 'ok',
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    });
    await send('architect-001', { type: 'AssignTask', task_id: 't3', task_type: 'architecture_analysis' });
    await settle(await send('architect-001', { type: 'FailTask', task_id: 't3', reason: 'timeout' }));
    const all = lookupAgents(db, parseAddress('bzzz://*'));
    expect(all.map((m) => [m.id, m.score])).toEqual([
      ['architect-002', 80],
      ['reviewer-001', 70],
      ['architect-001', 60],
      ['tester-001', 30],
    ]);
    expect(all.find((m) => m.id === 'tester-001')).toMatchObject({
      status: 'busy',
      available: false,
      current_tasks: 1,
    });
    const available = lookupAgents(db, parseAddress('bzzz://*'), { availability: true });
    expect(available.map((m) => m.id)).not.toContain('tester-001');
    const proven = lookupAgents(db, parseAddress('bzzz://*'), { performance_threshold: 0.6 });
    expect(proven.map((m) => m.id)).toEqual(['architect-002']);
    const experts = lookupAgents(db, parseAddress('bzzz://*'), {
      expertise: ['system_design', 'api_design'],
    });
    expect(experts.map((m) => m.id)).toEqual(['architect-001']);
  });

  it('keeps a bounded number of prepared query shapes, and answers an evicted shape again', async () => {
    await settle(await team());
    const designers = ['architect-001', 'architect-002'];
    for (let k = 1; k <= 300; k++) {
      const expertise = Array.from({ length: k }, (_, i) => (i === 0 ? 'system_design' : `skill-${i}`));
      // Every capability is required: none has the made-up ones, so only k = 1 matches.
      const found = lookupAgents(db, parseAddress('bzzz://*'), { expertise });
      expect(found.map((m) => m.id).sort()).toEqual(k === 1 ? designers : []);
    }
    expect(preparedLookupShapes(db)).toBeLessThanOrEqual(256);
    // The one-capability shape was dropped long ago: prepared again, same answers.
    const api = lookupAgents(db, parseAddress('bzzz://*'), { expertise: ['api_design'] });
    expect(api.map((m) => m.id)).toEqual(['architect-001']);
  });

  it('follows statuses: offline, error, recovery and retirement', async () => {
    await team();
    await send('reviewer-001', { type: 'ReportError', code: 'E', message: 'broken' });
    await settle(await send('tester-001', { type: 'RetireAgent' }));
    expect(getAgent(db, 'reviewer-001')).toMatchObject({ status: 'error', available: false });
    expect(lookupAgents(db, parseAddress('bzzz://tester-001'))).toEqual([]);
    expect(lookupAgents(db, parseAddress('bzzz://tester-001'), { include_retired: true })).toHaveLength(1);
    await settle(await send('reviewer-001', { type: 'RecoverAgent' }));
    expect(getAgent(db, 'reviewer-001')).toMatchObject({ status: 'idle', available: true });
  });

  it('answers repeated lookups from its cache, and every change of the view at once', async () => {
    await settle(await team());
    const reviewers = () => lookupAgents(db, parseAddress('bzzz://*:reviewer@myproject'));
    const first = reviewers();
    // Nothing changed: the same frozen answer, shared by every caller.
    expect(reviewers()).toBe(first);
    expect(
      Object.isFrozen(first) && Object.isFrozen(first[0]) && Object.isFrozen(first[0]!.capabilities),
    ).toBe(true);
    expect(first).toMatchObject([{ id: 'reviewer-001', status: 'idle', available: true, score: 70 }]);

    // A heartbeat moves only the activity time: the same matches, read again.
    const beat = await send('reviewer-001', { type: 'RecordHeartbeat' });
    await settle(beat);
    const touched = reviewers();
    expect(touched).not.toBe(first);
    expect(touched[0]!.last_activity >= first[0]!.last_activity).toBe(true);
    expect(getAgent(db, 'reviewer-001')).toEqual(touched[0]);

    // A task changes status and score (and availability, once the agent is full): filters and ranking see it.
    const testers = (criteria = {}) => lookupAgents(db, parseAddress('bzzz://*:tester@*'), criteria);
    expect(testers({ availability: true })).toMatchObject([{ id: 'tester-001' }]);
    await send('reviewer-001', { type: 'AssignTask', task_id: 't1', task_type: 'code_review' });
    await settle(await send('tester-001', { type: 'AssignTask', task_id: 't2', task_type: 'code_review' }));
    expect(reviewers()).toMatchObject([{ id: 'reviewer-001', status: 'busy', available: true, score: 65 }]);
    expect(testers({ availability: true })).toEqual([]);
    expect(testers()).toMatchObject([{ id: 'tester-001', available: false, score: 30 }]);
    await settle(await send('reviewer-001', { type: 'RetireAgent' }));
    expect(reviewers()).toEqual([]);
  });

  it('sees what another connection wrote to the view (a rebuild from the CLI)', async () => {
    const path = `${temp.dir}/shared-read.db`;
    const own = openReadModelDatabase(path);
    const writer = lookupProjection.open(own);
    own.transaction(() => writer.apply(announced('a1', 'architect', ['x'], 'p', 0)))();
    const architects = () => lookupAgents(own, parseAddress('bzzz://*:architect@*')).map((m) => m.role);
    expect(architects()).toEqual(['architect']);
    // Another connection's writer (the projection worker, a CLI rebuild) re-announces a1 as a tester.
    const other = openReadModelDatabase(path);
    const otherWriter = lookupProjection.open(other);
    other.transaction(() => {
      otherWriter.apply(announced('a1', 'tester', ['x'], 'p', 1));
      otherWriter.flush?.();
    })();
    other.close();
    expect(architects()).toEqual([]);
    expect(lookupAgents(own, parseAddress('bzzz://a1'))).toMatchObject([{ id: 'a1', role: 'tester' }]);
    own.close();
  });

  it('with announced writes, reads the generation after an announced write, or once it is old', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const path = `${temp.dir}/announced.db`;
      const own = openReadModelDatabase(path);
      announceWrites(own);
      const writer = lookupProjection.open(own);
      own.transaction(() => writer.apply(announced('a1', 'architect', ['x'], 'p', 0)))();
      const roleOf = () => lookupAgents(own, parseAddress('bzzz://a1'))[0]?.role;
      expect(roleOf()).toBe('architect');
      const other = openReadModelDatabase(path);
      const otherWriter = lookupProjection.open(other);
      const rewrite = (role: string, revision: number) =>
        other.transaction(() => {
          otherWriter.apply(announced('a1', role, ['x'], 'p', revision));
          otherWriter.flush?.();
        })();
      // Not announced: the cache does not ask SQLite, and answers what it had...
      rewrite('tester', 1);
      expect(roleOf()).toBe('architect');
      // ...until an announcement,
      writeAnnounced(own);
      expect(roleOf()).toBe('tester');
      // or until its last reading of the generation is too old.
      rewrite('reviewer', 2);
      vi.advanceTimersByTime(UNANNOUNCED_WRITES_SEEN_WITHIN_MS - 1);
      expect(roleOf()).toBe('tester');
      vi.advanceTimersByTime(1);
      expect(roleOf()).toBe('reviewer');
      other.close();
      own.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps its cached answers while other connections write only to other views', () => {
    const path = `${temp.dir}/shared-cache.db`;
    const own = openReadModelDatabase(path);
    const writer = lookupProjection.open(own);
    own.transaction(() => {
      writer.apply(announced('a1', 'architect', ['x'], 'p', 0));
      writer.flush?.();
    })();
    const first = lookupAgents(own, parseAddress('bzzz://*:architect@*'));
    // The projection worker commits a batch of another view (and checkpoints) through its connection.
    const other = openReadModelDatabase(path);
    other
      .prepare(
        'INSERT INTO projection_checkpoints (name, version, position, events, updated_at) VALUES (?, 1, ?, 0, 0)',
      )
      .run('threads', '42');
    other.close();
    expect(lookupAgents(own, parseAddress('bzzz://*:architect@*'))).toBe(first);
    own.close();
  });

  it('drops a view written before the stored score and rebuilds it', async () => {
    const path = `${temp.dir}/old-read.db`;
    const old = openReadModelDatabase(path);
    // The version 1 table: no score column, the old role index.
    old.exec(`CREATE TABLE lookup_agents (id TEXT PRIMARY KEY, role TEXT NOT NULL, specialization TEXT NOT NULL,
      project TEXT, status TEXT NOT NULL, available INTEGER NOT NULL, performance REAL NOT NULL,
      max_tasks INTEGER NOT NULL, current_tasks INTEGER NOT NULL, completed INTEGER NOT NULL,
      failed INTEGER NOT NULL, capabilities TEXT NOT NULL, model TEXT, owner TEXT, node_id TEXT NOT NULL,
      created_at TEXT NOT NULL, last_activity TEXT NOT NULL, last_heartbeat TEXT) WITHOUT ROWID;
      CREATE INDEX lookup_agents_by_role ON lookup_agents (role, performance DESC);
      INSERT INTO projection_checkpoints (name, version, position, events, updated_at) VALUES ('lookup', 1, NULL, 0, 0);`);
    const result = await send('architect-009', { type: 'AnnounceAgent', role: 'architect', project: 'p' });
    const rebuilt = new ProjectionRunner(temp.open(), old, [lookupProjection]);
    rebuilt.start();
    await rebuilt.waitFor(result.position);
    expect(lookupAgents(old, parseAddress('bzzz://*:architect@p'))).toMatchObject([
      { id: 'architect-009', score: 70 },
    ]);
    await rebuilt.stop();
    old.close();
  });

  it('answers from an index range at 10,000 agents, never a full scan', () => {
    const writer = lookupProjection.open(db);
    const roles = ['architect', 'reviewer', 'developer', 'tester', 'devops'];
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++)
        writer.apply(announced(`a${i}`, roles[i % 5]!, [`cap-${i % 50}`], `p${i % 20}`, i));
    })();
    const plan = (address: string, criteria = {}) => {
      const matches = lookupAgents(db, parseAddress(address), criteria);
      return { count: matches.length, ...explain(db, address, criteria) };
    };
    expect(plan('bzzz://*:architect@*')).toMatchObject({ count: 100, fullScan: false });
    // A role, or a role in a project: best first from the index alone (no row read, no sort).
    expect(plan('bzzz://*:architect@*').plan).toEqual([
      expect.stringMatching(/^SEARCH a USING COVERING INDEX lookup_agents_by_role \(role=\?\)$/),
    ]);
    expect(plan('bzzz://*:architect@p3').plan).toEqual([
      'SEARCH a USING COVERING INDEX lookup_agents_by_project_score (project=? AND role=?)',
    ]);
    expect(plan('bzzz://*:*@p3')).toMatchObject({ fullScan: false });
    // The selective index, not the availability one that matches nearly everyone.
    const byProject = plan('bzzz://*:*@p3', { availability: true, performance_threshold: 0.1 });
    expect(byProject.plan.join(' ')).toContain('lookup_agents_by_project');
    expect(plan('bzzz://a42')).toMatchObject({ count: 1, fullScan: false });
    expect(plan('bzzz://a4*')).toMatchObject({ fullScan: false });
    expect(lookupAgents(db, parseAddress('bzzz://*:reviewer@p1'))).toHaveLength(100);
    // The detector itself: asking for every agent has to read them all.
    expect(plan('bzzz://*')).toMatchObject({ fullScan: true });
  });
});

function announced(
  id: string,
  role: string,
  capabilities: string[],
  project: string,
  n: number,
): RecordedEvent {
  return {
    id: randomUUID(),
    stream: `agent-${id}`,
    revision: 0,
    position: BigInt(n + 1),
    type: 'AgentAnnounced',
    data: {
      agent_id: id,
      role,
      capabilities,
      specialization: '',
      max_tasks: 3,
      model: null,
      system_prompt: null,
      cost_limits: null,
      project,
      owner: null,
      heartbeat_timeout_s: 90,
      announced_at: '2026-01-01T00:00:00.000Z',
    },
    metadata: {
      correlationId: 'c',
      causationId: 'c',
      author: 'node-x',
      occurredAt: '2026-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
    recordedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Whether SQLite plans a full scan of lookup_agents for this lookup (index searches are fine). */
function explain(db: ReturnType<typeof openReadModelDatabase>, address: string, criteria: object) {
  const { sql, parameters } = lookupQuery(parseAddress(address), criteria);
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters, 100) as { detail: string }[];
  return { fullScan: rows.some((row) => /^SCAN a\b/.test(row.detail)), plan: rows.map((row) => row.detail) };
}
