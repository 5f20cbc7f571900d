import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMcpHarness, structured } from '../support/mcp-harness.js';

type Harness = Awaited<ReturnType<typeof startMcpHarness>>;

describe('MCP agent tools (real SDK client, in-memory transport)', () => {
  let harness: Harness;
  let client: Client;
  beforeEach(async () => {
    harness = await startMcpHarness();
    client = await harness.connect();
  });
  afterEach(() => harness.close());

  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

  it('lists the tools with input and output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['bzzz_announce', 'bzzz_lookup', 'bzzz_get']));
    const lookup = tools.find((tool) => tool.name === 'bzzz_lookup')!;
    expect(lookup.inputSchema.required).toEqual(['semantic_address']);
    expect(lookup.outputSchema?.properties).toHaveProperty('matches');
    expect(lookup.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('announces an agent and finds it with the next lookup, from another session too', async () => {
    const announced = await call('bzzz_announce', {
      agent_id: 'architect-001',
      role: 'architect',
      capabilities: ['system_design', 'api_design'],
      specialization: 'distributed_systems',
    });
    expect(announced.isError).toBeFalsy();
    expect(structured(announced)).toMatchObject({
      success: true,
      message: 'Agent architect-001 (architect) announced to BZZZ network',
      agent: {
        id: 'architect-001',
        role: 'architect',
        status: 'idle',
        capabilities: ['system_design', 'api_design'],
      },
      created: true,
    });
    const other = await harness.connect('another-client');
    const found = await other.callTool({
      name: 'bzzz_lookup',
      arguments: { semantic_address: 'bzzz://*:architect@*', filter_criteria: { availability: true } },
    });
    expect(structured(found)).toMatchObject({
      success: true,
      address: 'bzzz://*:architect@*',
      parsed_address: {
        agent: null,
        role: 'architect',
        project: null,
        task: null,
        path: null,
        raw: 'bzzz://*:architect@*',
      },
      matches: [{ id: 'architect-001', role: 'architect', available: true, performance: 0.5, score: 70 }],
      count: 1,
    });
  });

  it("answers the API reference's match fields, and status, specialization and project on request", async () => {
    await call('bzzz_announce', {
      agent_id: 'rev-1',
      role: 'reviewer',
      capabilities: ['code_review'],
      specialization: 'security',
      project: 'shop',
    });
    const lean = structured(await call('bzzz_lookup', { semantic_address: 'bzzz://*:reviewer@*' }));
    expect(lean.matches).toEqual([
      {
        id: 'rev-1',
        role: 'reviewer',
        capabilities: ['code_review'],
        available: true,
        performance: 0.5,
        score: 70,
      },
    ]);
    const detailed = structured(
      await call('bzzz_lookup', { semantic_address: 'bzzz://*:reviewer@*', include_details: true }),
    );
    expect(detailed.matches).toEqual([
      {
        ...(lean.matches as object[])[0],
        status: 'idle',
        specialization: 'security',
        project: 'shop',
      },
    ]);
  });

  it('lets the same client update the profile and refuses another client (AGENT_EXISTS)', async () => {
    await call('bzzz_announce', { agent_id: 'a1', role: 'tester' });
    const updated = await call('bzzz_announce', { agent_id: 'a1', role: 'tester', capabilities: ['e2e'] });
    expect(structured(updated)).toMatchObject({ created: false, agent: { capabilities: ['e2e'] } });
    const intruder = await harness.connect('intruder');
    const refused = await intruder.callTool({
      name: 'bzzz_announce',
      arguments: { agent_id: 'a1', role: 'devops' },
    });
    expect(refused.isError).toBe(true);
    expect(structured(refused)).toMatchObject({
      success: false,
      code: 'AGENT_EXISTS',
      timestamp: expect.any(String),
    });
  });

  it('gets an agent by address with its tasks, and names missing agents', async () => {
    await call('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer' });
    await harness.system.send('agent', 'rev-1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    const got = await call('bzzz_get', { address: 'bzzz://rev-1:reviewer@*' });
    expect(structured(got)).toMatchObject({
      success: true,
      content: {
        agent_info: { id: 'rev-1', status: 'busy' },
        current_tasks: [{ id: 't1', type: 'code_review' }],
      },
      metadata: { content_type: 'agent_data', revision: 1 },
    });
    const missing = await call('bzzz_get', { address: 'bzzz://ghost' });
    expect(structured(missing)).toMatchObject({ success: false, code: 'AGENT_NOT_FOUND' });
    const pattern = await call('bzzz_get', { address: 'bzzz://*:reviewer@*' });
    expect(structured(pattern)).toMatchObject({ success: false, code: 'INVALID_PARAMETERS' });
  });

  it('answers bad input with INVALID_PARAMETERS or INVALID_ADDRESS and appends nothing', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['bzzz_announce', { role: 'architect' }, 'INVALID_PARAMETERS'],
      ['bzzz_announce', { agent_id: 'x', role: 'architect', max_tasks: 0 }, 'INVALID_PARAMETERS'],
      ['bzzz_announce', { agent_id: 'bad id', role: 'architect' }, 'INVALID_PARAMETERS'],
      ['bzzz_announce', { agent_id: 'x', role: 'Not A Role' }, 'INVALID_PARAMETERS'],
      ['bzzz_lookup', { semantic_address: 'http://nope' }, 'INVALID_ADDRESS'],
      [
        'bzzz_lookup',
        { semantic_address: 'bzzz://*', filter_criteria: { performance_threshold: 2 } },
        'INVALID_PARAMETERS',
      ],
      ['bzzz_get', { address: 'bzzz://a b' }, 'INVALID_ADDRESS'],
    ];
    for (const [name, args, code] of cases) {
      const result = await call(name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(structured(result)).toMatchObject({ success: false, code });
    }
    expect(await harness.store.readAll()).toEqual([]);
  });
});
