import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { structured } from '../support/mcp-harness.js';
import { type ServicesHarness, startServicesHarness } from './support/services-harness.js';
import { Waitable } from './support/waitable.js';

describe('MCP resources: agents, threads, reports; subscribe and updates', () => {
  let harness: ServicesHarness;
  let client: Client;
  beforeEach(async () => {
    harness = await startServicesHarness();
    client = await harness.connect();
  });
  afterEach(() => harness.close());

  const call = async (name: string, args: Record<string, unknown>) =>
    structured(await client.callTool({ name, arguments: args }));
  const readJson = async (uri: string) => {
    const { contents } = await client.readResource({ uri });
    expect(contents).toMatchObject([{ uri, mimeType: 'application/json' }]);
    return JSON.parse((contents[0] as { text: string }).text) as Record<string, unknown>;
  };

  it('declares subscribe and listChanged, lists templates and resources, and reads them', async () => {
    expect(client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      'bzzz://agents/{id}',
      'bzzz://threads/{id}',
    ]);
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    const created = await call('bzzz_thread', {
      action: 'create',
      topic: 'Design',
      participants: ['arch-1'],
    });
    const threadId = created.thread_id as string;
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(
      [
        'bzzz://agents/arch-1',
        'bzzz://reports/cost',
        'bzzz://reports/stats',
        `bzzz://threads/${threadId}`,
      ].sort(),
    );
    expect(await readJson('bzzz://agents/arch-1')).toMatchObject({
      id: 'arch-1',
      role: 'architect',
      status: 'idle',
    });
    expect(await readJson(`bzzz://threads/${threadId}`)).toMatchObject({ id: threadId, topic: 'Design' });
    expect(await readJson('bzzz://reports/stats')).toMatchObject({
      agents: { announced: 1 },
      threads: { created: 1 },
    });
    expect(await readJson('bzzz://reports/cost')).toMatchObject({ by_day: [], by_model: [], budget: {} });
    await expect(client.readResource({ uri: 'bzzz://agents/ghost' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'bzzz://threads/ghost' })).rejects.toMatchObject({
      code: -32002,
    });
  });

  it('sends resources/updated for subscribed resources once the views reflect the change', async () => {
    const updated = new Waitable<string>();
    const listChanged = new Waitable<true>();
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => listChanged.push(true));
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    // The announcement's changes are announced (list_changed comes with them) before we subscribe.
    await listChanged.next();
    await client.subscribeResource({ uri: 'bzzz://agents/arch-1' });
    await client.subscribeResource({ uri: 'bzzz://reports/stats' });
    await harness.system.send('agent', 'arch-1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    await updated.next((uri) => uri === 'bzzz://agents/arch-1');
    expect(await readJson('bzzz://agents/arch-1')).toMatchObject({ status: 'busy' });
    await updated.next((uri) => uri === 'bzzz://reports/stats');
    // Sent after the stats view caught up: the read shows the task.
    expect(await readJson('bzzz://reports/stats')).toMatchObject({ tasks: { assigned: 1 } });

    await client.unsubscribeResource({ uri: 'bzzz://agents/arch-1' });
    await harness.system.send('agent', 'arch-1', { type: 'StartTask', task_id: 't1' });
    await call('bzzz_announce', { agent_id: 'arch-2', role: 'architect' });
    // Changes are announced in log order: the StartTask change came before this list change.
    await listChanged.count(2);
    expect(updated.items.filter((uri) => uri === 'bzzz://agents/arch-1')).toHaveLength(1);
    expect(updated.items).not.toContain('bzzz://agents/arch-2');
    await expect(client.subscribeResource({ uri: 'https://example.com/x' })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('sends resources/list_changed when an agent or a thread is added', async () => {
    const changed = new Waitable<true>();
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => changed.push(true));
    await call('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    await changed.next();
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('bzzz://agents/arch-1');
    const before = changed.items.length;
    await call('bzzz_thread', { action: 'create', topic: 'Design', participants: ['arch-1'] });
    await changed.count(before + 1);
  });
});
