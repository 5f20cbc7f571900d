import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/actors/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { type HttpServerHandle, RequestCounter, startHttpServer } from '../../src/http/http-server.js';
import { buildRestRoutes } from '../../src/http/rest-routes.js';
import { HttpError, ok } from '../../src/http/responses.js';
import { type BzzzNode, startBzzzNode } from '../../src/node/bzzz-node.js';
import { listAgentsQuery } from '../../src/projections/lookup/lookup-list.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const anyTime = expect.stringMatching(ISO);
const JSON_TYPE = 'application/json; charset=utf-8';

interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by toEqual
  body: any;
}

async function call(base: string, path: string, init?: RequestInit): Promise<Reply> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The seed's error shape. */
function error(code: string, message: string, details?: Record<string, unknown>) {
  return { success: false, error: message, code, ...(details ? { details } : {}), timestamp: anyTime };
}

describe('read-only REST API over a real node', () => {
  let dir: string;
  let node: BzzzNode;
  let http: HttpServerHandle;
  let head: bigint;
  let startedAt: number;
  /** Message ids of t-api, in order (the runtime makes them up). */
  let messageIds: string[] = [];
  const clock = new SimulatedClock(Date.parse('2026-06-01T20:00:00.000Z'));
  const get = (path: string, init?: RequestInit) => call(http.url, path, init);

  /** Follows next_cursor from `path` to the last page; the ids of each page. */
  async function pageIds(path: string, key: string, cursorParam = 'cursor'): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const reply = await get(cursor === null ? path : `${path}${separator}${cursorParam}=${cursor}`);
      expect(reply.status).toBe(200);
      pages.push((reply.body[key] as { id: string }[]).map((item) => item.id));
      expect(reply.body.count ?? reply.body[key].length).toBe(reply.body[key].length);
      cursor = reply.body.next_cursor as string | null;
      expect(pages.length).toBeLessThan(20);
    } while (cursor !== null);
    return pages;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-rest-'));
    const config = loadConfig({ BZZZ_STORE: `sqlite:${dir}/bzzz.db`, BZZZ_PORT: '0' });
    // Tasks here are completed by the test itself: no LLM runner.
    node = startBzzzNode(config, { clock, effects: { requestTaskExecution: async () => {} } });
    const { system } = node.actors;
    const agent = (id: string, command: Parameters<typeof system.send>[2]) =>
      system.send('agent', id, command);
    const thread = (id: string, command: Parameters<typeof system.send>[2]) =>
      system.send('thread', id, command);
    const announce = { type: 'AnnounceAgent', heartbeat_timeout_s: 86_400 } as const;

    // Day 1, 20:00 UTC: five agents, two finished tasks with a known cost.
    await agent('architect-001', {
      ...announce,
      role: 'architect',
      capabilities: ['api_design', 'system_design'],
      specialization: 'distributed_systems',
      project: 'alpha',
      model: 'gpt-5',
      cost_limits: { daily_usd: 1 },
    });
    await agent('reviewer-001', {
      ...announce,
      role: 'reviewer',
      capabilities: ['code_review'],
      project: 'alpha',
      model: 'gpt-5-mini',
    });
    await agent('reviewer-002', { ...announce, role: 'reviewer', project: 'beta', max_tasks: 1 });
    await agent('doc-001', { ...announce, role: 'documentation' });
    await agent('tester-001', { ...announce, role: 'tester', project: 'beta' });
    await agent('tester-001', { type: 'RetireAgent', reason: 'replaced' });
    await agent('architect-001', {
      type: 'AssignTask',
      task_id: 'task-1',
      task_type: 'architecture',
      thread_id: 't-api',
    });
    await agent('architect-001', { type: 'StartTask', task_id: 'task-1' });
    await agent('architect-001', {
      type: 'CompleteTask',
      task_id: 'task-1',
      result: { design: 'REST' },
      usage: { prompt_tokens: 1000, completion_tokens: 200, cost_usd: 0.5 },
    });
    await agent('reviewer-001', { type: 'AssignTask', task_id: 'task-2', task_type: 'code_review' });
    await agent('reviewer-001', {
      type: 'FailTask',
      task_id: 'task-2',
      reason: 'timeout',
      usage: { prompt_tokens: 100, completion_tokens: 0, cost_usd: 0.05 },
    });
    await agent('reviewer-002', { type: 'AssignTask', task_id: 'task-3', task_type: 'code_review' });

    // Day 2, 02:00 UTC: a task of unknown cost, then three threads a minute apart.
    clock.advance(6 * 3_600_000);
    await agent('reviewer-001', { type: 'AssignTask', task_id: 'task-4', task_type: 'code_review' });
    await agent('reviewer-001', {
      type: 'CompleteTask',
      task_id: 'task-4',
      result: 'approved',
      usage: { prompt_tokens: 300, completion_tokens: 100 },
    });
    await thread('t-api', {
      type: 'CreateThread',
      topic: 'API design',
      participants: ['architect-001', 'reviewer-001'],
      creator: 'architect-001',
      project: 'alpha',
    });
    await thread('t-api', { type: 'JoinThread', participant_id: 'reviewer-001' });
    for (const [sender, content] of [
      ['architect-001', 'REST or gRPC?'],
      ['reviewer-001', 'REST, with cursors'],
      ['architect-001', 'Agreed'],
    ] as const) {
      clock.advance(60_000);
      const posted = await thread('t-api', { type: 'PostMessage', sender, content });
      messageIds = (posted.state.messages as { id: string }[]).map((m) => m.id);
    }
    clock.advance(60_000);
    await thread('t-docs', {
      type: 'CreateThread',
      topic: 'Docs plan',
      participants: ['doc-001', 'reviewer-002'],
      creator: 'doc-001',
      project: 'beta',
    });
    await thread('t-docs', { type: 'CloseThread', closed_by: 'doc-001', stop_reason: 'closed' });
    clock.advance(60_000);
    const last = await thread('t-ops', {
      type: 'CreateThread',
      topic: 'On-call',
      participants: ['reviewer-002'],
      creator: 'reviewer-002',
    });
    head = last.position!;
    await node.projections.waitFor(head);

    startedAt = Date.now();
    const counter = new RequestCounter();
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      counter,
      routes: buildRestRoutes(node, {
        storeKind: config.store.kind,
        startedAt,
        requestCounts: () => counter.snapshot(),
      }),
    });
  });

  afterAll(async () => {
    await http?.close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds loopback on a free port and answers JSON', async () => {
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(http.url).not.toMatch(/:0$/);
    const reply = await get('/health');
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('GET /health: ok, node id, uptime, store kind and every projection at the head', async () => {
    const reply = await get('/health');
    expect(reply.status).toBe(200);
    const at = { state: 'running', position: head.toString(), events_behind: 0, ms_behind: 0 };
    expect(reply.body).toEqual({
      success: true,
      status: 'ok',
      node_id: node.identity.nodeId,
      started_at: new Date(startedAt).toISOString(),
      uptime_seconds: expect.any(Number),
      store: { kind: 'sqlite', head_position: head.toString() },
      projections: ['lookup', 'threads', 'cost', 'stats'].map((name) => ({ name, ...at })),
      problems: [],
      timestamp: anyTime,
    });
    const head200 = await get('/health', { method: 'HEAD' });
    expect(head200.status).toBe(200);
    expect(head200.body).toBeUndefined();
  });

  it('GET /api/agents: every agent by id, each as the lookup view has it', async () => {
    const reply = await get('/api/agents');
    expect(reply.status).toBe(200);
    const base = { node_id: node.identity.nodeId, last_activity: anyTime, specialization: '' };
    expect(reply.body).toEqual({
      success: true,
      agents: [
        {
          ...base,
          id: 'architect-001',
          role: 'architect',
          capabilities: ['api_design', 'system_design'],
          specialization: 'distributed_systems',
          project: 'alpha',
          status: 'idle',
          available: true,
          performance: 0.667,
          current_tasks: 0,
          max_tasks: 3,
          score: 80,
        },
        {
          ...base,
          id: 'doc-001',
          role: 'documentation',
          capabilities: [],
          project: null,
          status: 'idle',
          available: true,
          performance: 0.5,
          current_tasks: 0,
          max_tasks: 3,
          score: 70,
        },
        {
          ...base,
          id: 'reviewer-001',
          role: 'reviewer',
          capabilities: ['code_review'],
          project: 'alpha',
          status: 'idle',
          available: true,
          performance: 0.5,
          current_tasks: 0,
          max_tasks: 3,
          score: 70,
        },
        {
          ...base,
          id: 'reviewer-002',
          role: 'reviewer',
          capabilities: [],
          project: 'beta',
          status: 'busy',
          available: false,
          performance: 0.5,
          current_tasks: 1,
          max_tasks: 1,
          score: 30,
        },
        {
          ...base,
          id: 'tester-001',
          role: 'tester',
          capabilities: [],
          project: 'beta',
          status: 'retired',
          available: false,
          performance: 0.5,
          current_tasks: 0,
          max_tasks: 3,
          score: 45,
        },
      ],
      count: 5,
      next_cursor: null,
      timestamp: anyTime,
    });
  });

  it('pages agents through cursors to the end, in a stable order', async () => {
    expect(await pageIds('/api/agents?limit=2', 'agents')).toEqual([
      ['architect-001', 'doc-001'],
      ['reviewer-001', 'reviewer-002'],
      ['tester-001'],
    ]);
    expect(await pageIds('/api/agents?limit=1&role=reviewer', 'agents')).toEqual([
      ['reviewer-001'],
      ['reviewer-002'],
    ]);
    const first = await get('/api/agents?limit=2');
    expect(first.body.next_cursor).toBe(Buffer.from('doc-001').toString('base64url'));
  });

  it.each([
    ['role=reviewer', ['reviewer-001', 'reviewer-002']],
    ['status=retired', ['tester-001']],
    ['status=busy', ['reviewer-002']],
    ['project=beta', ['reviewer-002', 'tester-001']],
    ['available=false', ['reviewer-002', 'tester-001']],
    ['available=true', ['architect-001', 'doc-001', 'reviewer-001']],
    ['role=reviewer&available=1', ['reviewer-001']],
    ['project=gamma', []],
  ])('filters agents: %s', async (filter, ids) => {
    expect(await pageIds(`/api/agents?${filter}`, 'agents')).toEqual([ids]);
  });

  it('lists agents with keyset pagination over indexes', () => {
    const plan = (options: Parameters<typeof listAgentsQuery>[0]) => {
      const { sql, parameters } = listAgentsQuery(options);
      return node.readModel
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...parameters, 10)
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    };
    const cursor = Buffer.from('b').toString('base64url');
    expect(plan({})).toBe('SCAN lookup_agents');
    expect(plan({ cursor })).toBe('SEARCH lookup_agents USING PRIMARY KEY (id>?)');
    expect(plan({ status: 'idle', cursor })).toBe(
      'SEARCH lookup_agents USING COVERING INDEX lookup_agents_by_status (status=? AND id>?)',
    );
    expect(plan({ project: 'alpha', role: 'reviewer', cursor })).toBe(
      'SEARCH lookup_agents USING COVERING INDEX lookup_agents_by_project (project=? AND role=? AND id>?)',
    );
    // A role alone: bounded by its index, then only that role's agents are sorted.
    expect(plan({ role: 'reviewer', cursor })).toMatch(
      /^SEARCH lookup_agents USING COVERING INDEX lookup_agents_by_role \(role=\?\)/,
    );
  });

  it('GET /api/agents/:id: the agent, or 404 AGENT_NOT_FOUND', async () => {
    const reply = await get('/api/agents/reviewer-002');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      agent: expect.objectContaining({ id: 'reviewer-002', status: 'busy', current_tasks: 1 }),
      timestamp: anyTime,
    });
    expect((await get('/api/agents/architect%2D001')).body.agent.id).toBe('architect-001');
    const missing = await get('/api/agents/nobody');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe(JSON_TYPE);
    expect(missing.body).toEqual(
      error('AGENT_NOT_FOUND', 'agent "nobody" not found', { agent_id: 'nobody' }),
    );
  });

  it('GET /api/conversations: threads, most recently active first', async () => {
    const reply = await get('/api/conversations');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      conversations: [
        {
          id: 't-ops',
          topic: 'On-call',
          participants: ['reviewer-002'],
          status: 'active',
          last_activity: '2026-06-02T02:05:00.000Z',
          message_count: 0,
          created_at: '2026-06-02T02:05:00.000Z',
          project: null,
          stop_reason: null,
        },
        {
          id: 't-docs',
          topic: 'Docs plan',
          participants: ['doc-001', 'reviewer-002'],
          status: 'closed',
          last_activity: '2026-06-02T02:04:00.000Z',
          message_count: 0,
          created_at: '2026-06-02T02:04:00.000Z',
          project: 'beta',
          stop_reason: 'closed',
        },
        {
          id: 't-api',
          topic: 'API design',
          participants: ['architect-001', 'reviewer-001'],
          status: 'active',
          last_activity: '2026-06-02T02:03:00.000Z',
          message_count: 3,
          created_at: '2026-06-02T02:00:00.000Z',
          project: 'alpha',
          stop_reason: null,
        },
      ],
      count: 3,
      next_cursor: null,
      timestamp: anyTime,
    });
    expect(await pageIds('/api/conversations?limit=1', 'conversations')).toEqual([
      ['t-ops'],
      ['t-docs'],
      ['t-api'],
    ]);
  });

  it.each([
    ['status=active', ['t-ops', 't-api']],
    ['status=closed&project=beta', ['t-docs']],
    ['participant=reviewer-002', ['t-ops', 't-docs']],
    ['project=alpha', ['t-api']],
    ['status=escalated', []],
  ])('filters conversations: %s', async (filter, ids) => {
    expect(await pageIds(`/api/conversations?${filter}`, 'conversations')).toEqual([ids]);
  });

  it('GET /api/conversations/:id: the thread and its first page of messages', async () => {
    const reply = await get('/api/conversations/t-api?messages_limit=2');
    expect(reply.status).toBe(200);
    const message = (seq: number, sender: string, content: string) => ({
      seq,
      id: messageIds[seq - 1],
      thread_id: 't-api',
      sender,
      content,
      message_type: 'text',
      timestamp: `2026-06-02T02:0${seq}:00.000Z`,
      reply_to: null,
      metadata: {},
      error: false,
    });
    expect(reply.body).toEqual({
      success: true,
      conversation: expect.objectContaining({
        id: 't-api',
        topic: 'API design',
        creator: 'architect-001',
        status: 'active',
        participants: [
          {
            id: 'architect-001',
            status: 'active',
            invited_at: null,
            joined_at: '2026-06-02T02:00:00.000Z',
            left_at: null,
          },
          {
            id: 'reviewer-001',
            status: 'active',
            invited_at: '2026-06-02T02:00:00.000Z',
            joined_at: '2026-06-02T02:00:00.000Z',
            left_at: null,
          },
        ],
        message_count: 3,
        error_count: 0,
        decisions: [],
        project: 'alpha',
        stop_reason: null,
      }),
      messages: [
        message(1, 'architect-001', 'REST or gRPC?'),
        message(2, 'reviewer-001', 'REST, with cursors'),
      ],
      messages_next_cursor: expect.any(String),
      timestamp: anyTime,
    });
    const rest = await get(
      `/api/conversations/t-api?messages_limit=2&messages_cursor=${reply.body.messages_next_cursor}`,
    );
    expect(rest.body.messages).toEqual([message(3, 'architect-001', 'Agreed')]);
    expect(rest.body.messages_next_cursor).toBeNull();
    expect(await pageIds('/api/conversations/t-api/messages?limit=2&order=desc', 'messages')).toEqual([
      [messageIds[2], messageIds[1]],
      [messageIds[0]],
    ]);
    const closed = await get('/api/conversations/t-docs');
    expect(closed.body.conversation).toMatchObject({ status: 'closed', closed_by: 'doc-001' });
    expect(closed.body.messages).toEqual([]);
    expect(closed.body.messages_next_cursor).toBeNull();
  });

  it('404 THREAD_NOT_FOUND for an unknown thread', async () => {
    for (const path of ['/api/conversations/t-none', '/api/conversations/t-none/messages']) {
      const reply = await get(path);
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(
        error('THREAD_NOT_FOUND', 'thread "t-none" not found', { thread_id: 't-none' }),
      );
    }
  });

  it('GET /api/stats: the stats view plus the HTTP request counts', async () => {
    const before = http.requestCounts();
    const reply = await get('/api/stats');
    expect(reply.status).toBe(200);
    const total = before.total + 1;
    expect(reply.body).toEqual({
      success: true,
      start_time: new Date(startedAt).toISOString(),
      uptime_seconds: expect.any(Number),
      first_event_at: anyTime,
      last_event_at: anyTime,
      active_agents: 4,
      messages_processed: 3,
      tokens_consumed: 1700,
      average_cost_per_task: 0.5,
      error_rate: 1 / 3,
      agents: { announced: 5, active: 4, offline: 0, error: 0, retired: 1 },
      threads: { created: 3, active: 2, closed: 1 },
      tasks: { assigned: 4, completed: 2, failed: 1, in_flight: 1 },
      tokens: { prompt: 1400, completion: 300, cached: 0, total: 1700 },
      cost: { total_usd: 0.55, costed_tasks: 2, uncosted_tasks: 1 },
      total_requests: total,
      requests: {
        total,
        errors: before.errors,
        server_errors: 0,
        error_rate: before.errors / total,
      },
      timestamp: anyTime,
    });
  });

  it('GET /api/costs/daily: one UTC day (today on the node clock by default)', async () => {
    const today = await get('/api/costs/daily');
    expect(today.status).toBe(200);
    expect(today.body).toEqual({
      success: true,
      period: 'day',
      date: '2026-06-02',
      totalCost: 0,
      apiCalls: 1,
      tokens: { prompt: 300, completion: 100, total: 400 },
      models: { 'gpt-5-mini': { calls: 1, cost: 0, tokens: 400 } },
      unknownCostCalls: 1,
      timestamp: anyTime,
    });
    const first = await get('/api/costs/daily?date=2026-06-01');
    expect(first.body).toEqual({
      success: true,
      period: 'day',
      date: '2026-06-01',
      totalCost: 0.55,
      apiCalls: 2,
      tokens: { prompt: 1100, completion: 200, total: 1300 },
      models: {
        'gpt-5': { calls: 1, cost: 0.5, tokens: 1200 },
        'gpt-5-mini': { calls: 1, cost: 0.05, tokens: 100 },
      },
      unknownCostCalls: 0,
      timestamp: anyTime,
    });
  });

  it('GET /api/costs/monthly: one UTC month', async () => {
    expect((await get('/api/costs/monthly')).body).toEqual({
      success: true,
      period: 'month',
      date: '2026-06',
      totalCost: 0.55,
      apiCalls: 3,
      tokens: { prompt: 1400, completion: 300, total: 1700 },
      models: {
        'gpt-5': { calls: 1, cost: 0.5, tokens: 1200 },
        'gpt-5-mini': { calls: 2, cost: 0.05, tokens: 500 },
      },
      unknownCostCalls: 1,
      timestamp: anyTime,
    });
    expect((await get('/api/costs/monthly?month=2026-05')).body).toEqual({
      success: true,
      period: 'month',
      date: '2026-05',
      totalCost: 0,
      apiCalls: 0,
      tokens: { prompt: 0, completion: 0, total: 0 },
      models: {},
      unknownCostCalls: 0,
      timestamp: anyTime,
    });
  });

  it('GET /api/costs/breakdown: grouped usage, totals and the budget of today', async () => {
    const row = (
      key: string | null,
      calls: number,
      prompt: number,
      completion: number,
      cost: number | null,
      unknown = 0,
    ) => ({
      key,
      calls,
      prompt_tokens: prompt,
      cached_tokens: 0,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      cost_usd: cost,
      unknown_cost_calls: unknown,
    });
    const line = (today: number, month: number, unknownToday: number, unknownMonth: number) => ({
      spent_today: today,
      spent_month: month,
      unknown_cost_calls_today: unknownToday,
      unknown_cost_calls_month: unknownMonth,
    });
    const reply = await get('/api/costs/breakdown');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      by: 'model',
      since: null,
      until: null,
      rows: [row('gpt-5', 1, 1000, 200, 0.5), row('gpt-5-mini', 2, 400, 100, 0.05, 1)],
      totals: { ...row(null, 3, 1400, 300, 0.55, 1), key: undefined },
      budget: {
        day: '2026-06-02',
        month: '2026-06',
        warning_threshold: 0.8,
        overall: {
          ...line(0, 0.55, 1, 1),
          limits: { daily: 100, monthly: 1000, per_task: null },
          remaining: { daily: 100, monthly: 999.45 },
          warning: false,
          exceeded: false,
        },
        agents: [
          {
            agent_id: 'architect-001',
            ...line(0, 0.5, 0, 0),
            limits: { daily: 1, monthly: null, per_task: null },
            remaining: { daily: 1, monthly: null },
            warning: false,
            exceeded: false,
          },
          {
            agent_id: 'reviewer-001',
            ...line(0, 0.05, 1, 1),
            limits: { daily: null, monthly: null, per_task: null },
            remaining: { daily: null, monthly: null },
            warning: false,
            exceeded: false,
          },
        ],
      },
      timestamp: anyTime,
    });
    expect((await get('/api/costs/breakdown?by=day')).body.rows).toEqual([
      row('2026-06-01', 2, 1100, 200, 0.55),
      row('2026-06-02', 1, 300, 100, null, 1),
    ]);
    const since = await get('/api/costs/breakdown?by=agent&since=2026-06-02');
    expect(since.body).toMatchObject({ by: 'agent', since: '2026-06-02', until: null });
    expect(since.body.rows).toEqual([row('reviewer-001', 1, 300, 100, null, 1)]);
    expect(since.body.totals).toMatchObject({ calls: 1, cost_usd: null, unknown_cost_calls: 1 });
    const until = await get('/api/costs/breakdown?by=task&until=2026-06-01T23:59:59Z&agent=reviewer-001');
    expect(until.body.rows).toEqual([row('task-2', 1, 100, 0, 0.05)]);
  });

  it.each([
    [
      '/api/agents?limit=0',
      'limit must be an integer from 1 to 500 (got "0")',
      { parameter: 'limit', value: '0' },
    ],
    [
      '/api/agents?limit=501',
      'limit must be an integer from 1 to 500 (got "501")',
      { parameter: 'limit', value: '501' },
    ],
    [
      '/api/conversations?limit=ten',
      'limit must be an integer from 1 to 500 (got "ten")',
      { parameter: 'limit', value: 'ten' },
    ],
    [
      '/api/agents?cursor=abc',
      `cursor is not a cursor from a previous page's next_cursor (got "abc")`,
      { parameter: 'cursor', value: 'abc' },
    ],
    [
      '/api/agents?cursor=no%20spaces',
      `cursor is not a cursor from a previous page's next_cursor (got "no spaces")`,
      { parameter: 'cursor', value: 'no spaces' },
    ],
    [
      '/api/conversations?cursor=abc',
      `cursor is not a cursor from a previous page's next_cursor (got "abc")`,
      { parameter: 'cursor', value: 'abc' },
    ],
    [
      '/api/conversations/t-api?messages_cursor=WyJ4Il0',
      `messages_cursor is not a cursor from a previous page's next_cursor (got "WyJ4Il0")`,
      { parameter: 'messages_cursor', value: 'WyJ4Il0' },
    ],
    [
      '/api/agents?status=sleeping',
      'status must be one of idle, busy, offline, error, retired (got "sleeping")',
      { parameter: 'status', value: 'sleeping' },
    ],
    [
      '/api/conversations?status=open',
      'status must be one of new, active, paused, escalated, completed, closed (got "open")',
      { parameter: 'status', value: 'open' },
    ],
    [
      '/api/agents?available=maybe',
      'available must be true or false (got "maybe")',
      { parameter: 'available', value: 'maybe' },
    ],
    [
      '/api/costs/daily?date=2026-02-30',
      'date must be a UTC day YYYY-MM-DD (got "2026-02-30")',
      { parameter: 'date', value: '2026-02-30' },
    ],
    [
      '/api/costs/daily?date=yesterday',
      'date must be a UTC day YYYY-MM-DD (got "yesterday")',
      { parameter: 'date', value: 'yesterday' },
    ],
    [
      '/api/costs/monthly?month=2026-13',
      'month must be a UTC month YYYY-MM (got "2026-13")',
      { parameter: 'month', value: '2026-13' },
    ],
    [
      '/api/costs/breakdown?by=color',
      'by must be one of model, agent, day, month, thread, task (got "color")',
      { parameter: 'by', value: 'color' },
    ],
    [
      '/api/costs/breakdown?since=June',
      'since must be an ISO date (YYYY-MM-DD) or a date-time with a zone (YYYY-MM-DDTHH:MM[:SS]Z) (got "June")',
      { parameter: 'since', value: 'June' },
    ],
    [
      '/api/costs/breakdown?since=2026-06-03&until=2026-06-01',
      'since "2026-06-03" is after until "2026-06-01"',
      { parameter: 'since', value: '2026-06-03' },
    ],
    [
      '/api/agents?stauts=idle',
      'stauts is not a parameter of this endpoint; accepted: role, status, project, available, limit, cursor',
      { parameter: 'stauts' },
    ],
    ['/api/agents?limit=1&limit=2', 'limit is given more than once', { parameter: 'limit' }],
    ['/api/conversations?status=', 'status is empty; leave it out or give a value', { parameter: 'status' }],
    [
      '/health?verbose=1',
      'verbose is not a parameter of this endpoint; accepted: none',
      { parameter: 'verbose' },
    ],
  ])('400 for a bad parameter: %s', async (path, message, details) => {
    const reply = await get(path);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.body).toEqual(error('INVALID_PARAMETERS', message, details));
  });

  it('400 for a path parameter that is not valid percent-encoding', async () => {
    const reply = await get('/api/agents/%E0%A4%A');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(
      error('INVALID_PARAMETERS', 'path parameter id is not valid percent-encoding', { parameter: 'id' }),
    );
  });

  it('404 NOT_FOUND for an unknown route, 405 with Allow for a wrong method', async () => {
    const missing = await get('/api/nothing?x=1');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      success: false,
      error: 'no route for GET /api/nothing',
      code: 'NOT_FOUND',
      timestamp: anyTime,
    });
    const wrong = await get('/api/agents', { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(wrong.body).toEqual(
      error('METHOD_NOT_ALLOWED', 'POST is not allowed on /api/agents; allowed: GET, HEAD', {
        allowed: ['GET', 'HEAD'],
      }),
    );
    expect((await get('/api/agents/', {})).status).toBe(200);
  });
});

describe('the HTTP server itself', () => {
  let http: HttpServerHandle | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it('answers 500 with a generic message for a failing handler, reports the error once, and counts', async () => {
    const reported: unknown[] = [];
    http = await startHttpServer({
      routes: [
        {
          method: 'GET',
          path: '/boom',
          handler: () => {
            throw new Error('secret: password=hunter2 at /etc/bzzz');
          },
        },
        {
          method: 'GET',
          path: '/teapot',
          handler: () => Promise.reject(new HttpError(418, 'TEAPOT', 'short and stout')),
        },
        { method: 'GET', path: '/fine', handler: () => ok({ fine: true }) },
      ],
      onError: (error) => reported.push(error),
    });
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const boom = await call(http.url, '/boom');
    expect(boom.status).toBe(500);
    expect(boom.body).toEqual({
      success: false,
      error: 'internal server error',
      code: 'INTERNAL_ERROR',
      timestamp: anyTime,
    });
    expect(JSON.stringify(boom.body)).not.toContain('hunter2');
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toContain('hunter2');
    const teapot = await call(http.url, '/teapot');
    expect(teapot).toMatchObject({ status: 418, body: error('TEAPOT', 'short and stout') });
    expect(reported).toHaveLength(1);
    expect((await call(http.url, '/fine')).body).toEqual({ success: true, fine: true, timestamp: anyTime });
    await call(http.url, '/nowhere');
    expect(http.requestCounts()).toEqual({ total: 4, errors: 3, server_errors: 1 });
  });

  it('lets a handler write its own response and read a bounded body', async () => {
    http = await startHttpServer({
      maxBodyBytes: 16,
      routes: [
        {
          method: 'POST',
          path: '/echo/:name',
          handler: async ({ req, res, params, readBody }) => {
            const body = await readBody();
            res.writeHead(200, { 'content-type': 'text/plain', 'x-name': params.name! });
            res.end(`${req.method} ${body.toString('utf8')}`);
            return undefined;
          },
        },
      ],
    });
    const echo = await fetch(`${http.url}/echo/a%20b`, { method: 'POST', body: 'hello' });
    expect(echo.status).toBe(200);
    expect(echo.headers.get('x-name')).toBe('a b');
    expect(await echo.text()).toBe('POST hello');
    const large = await call(http.url, '/echo/x', { method: 'POST', body: 'x'.repeat(17) });
    expect(large.status).toBe(413);
    expect(large.body).toEqual(
      error('PAYLOAD_TOO_LARGE', 'request body is larger than 16 bytes', { limit: 16 }),
    );
  });

  it('hands upgrade requests to onUpgrade, answers 404 without one', async () => {
    const upgrade = (url: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request(`${url}/mcp/ws`, { headers: { connection: 'upgrade', upgrade: 'websocket' } });
        req.on('upgrade', (_res, socket, head: Buffer) => {
          // Bytes after the 101 headers come as `head` when they arrive with them, else as data.
          const done = (data: Buffer) => {
            socket.destroy();
            resolve(data.toString());
          };
          if (head.length > 0) done(head);
          else socket.once('data', done);
        });
        req.on('response', (res) => resolve(`status ${res.statusCode}`));
        req.on('error', reject);
        req.end();
      });
    http = await startHttpServer({ routes: [] });
    expect(await upgrade(http.url)).toBe('status 404');
    await http.close();
    const paths: string[] = [];
    http = await startHttpServer({
      routes: [],
      onUpgrade: (req, socket) => {
        paths.push(req.url!);
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\nhi',
        );
      },
    });
    expect(await upgrade(http.url)).toBe('hi');
    expect(paths).toEqual(['/mcp/ws']);
  });

  it('closes with a keep-alive connection and an upgraded socket still open', async () => {
    http = await startHttpServer({
      routes: [{ method: 'GET', path: '/x', handler: () => ok({}) }],
      onUpgrade: (_req, socket) =>
        socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n'),
    });
    await call(http.url, '/x');
    const upgraded = new Promise<void>((resolve) => {
      request(`${http!.url}/ws`, { headers: { connection: 'upgrade', upgrade: 'x' } })
        .on('upgrade', () => resolve())
        .end();
    });
    await upgraded;
    await http.close();
    http = undefined;
  });

  it('refuses a route registered twice and a port in use', async () => {
    const route = { method: 'GET', path: '/a/:id', handler: () => ok({}) } as const;
    await expect(startHttpServer({ routes: [route, { ...route, path: '/a/:other' }] })).rejects.toThrow(
      'route GET /a/:other is registered twice',
    );
    http = await startHttpServer({ routes: [] });
    const port = Number(new URL(http.url).port);
    await expect(startHttpServer({ routes: [], port })).rejects.toMatchObject({
      code: 'LISTEN_FAILED',
      message: `cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
    });
  });
});
