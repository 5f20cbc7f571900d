import { afterEach, describe, expect, it } from 'vitest';
import { startMcpHarness } from '../support/mcp-harness.js';
import { type ServicesHarness, startServicesHarness } from './support/services-harness.js';

describe('MCP tool list', () => {
  let harness: ServicesHarness | Awaited<ReturnType<typeof startMcpHarness>> | undefined;
  afterEach(() => harness?.close());

  it('registers every tool with input and output schemas and annotations', async () => {
    harness = await startServicesHarness();
    const client = await harness.connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'bzzz_announce',
      'bzzz_get',
      'bzzz_lookup',
      'bzzz_post',
      'bzzz_replay',
      'bzzz_report',
      'bzzz_subscribe',
      'bzzz_task',
      'bzzz_thread',
      'bzzz_unsubscribe',
    ]);
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations, tool.name).toBeDefined();
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('bzzz_thread')!.inputSchema.required).toEqual(['action']);
    expect(byName.get('bzzz_post')!.inputSchema.required).toEqual([
      'target_address',
      'message_type',
      'content',
    ]);
    expect(byName.get('bzzz_subscribe')!.inputSchema.required).toEqual(['event_types']);
    expect(byName.get('bzzz_replay')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get('bzzz_report')!.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('leaves out what needs the node services when the server has none', async () => {
    harness = await startMcpHarness();
    const client = await harness.connect();
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['bzzz_thread', 'bzzz_post', 'bzzz_report']));
    expect(names).not.toContain('bzzz_subscribe');
    expect(names).not.toContain('bzzz_replay');
    expect(client.getServerCapabilities()?.resources).toEqual({ listChanged: true });
  });
});
