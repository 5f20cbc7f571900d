import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replay-command.js';
import { type ServicesHarness, startServicesHarness } from '../mcp/support/services-harness.js';
import { structured } from '../support/mcp-harness.js';

type State = Record<string, unknown>;

/**
 * `bzzz replay` (src/cli/replay-command.ts over src/audit/replay.ts) and the bzzz_replay MCP tool fold
 * with the same code (foldStream): for every event of a stream they must give the same state after it,
 * whether listed event by event, paged, or asked for at one revision.
 */
describe('bzzz replay and bzzz_replay give the same states', () => {
  let harness: ServicesHarness;
  let client: Client;
  beforeEach(async () => {
    harness = await startServicesHarness();
    client = await harness.connect();
  });
  afterEach(() => harness.close());

  const tool = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError, `${name} ${JSON.stringify(args)}: ${JSON.stringify(result.content)}`).not.toBe(
      true,
    );
    return structured(result);
  };

  /** The CLI's JSON lines: the state after each event, by revision. */
  const cliStates = async (args: string[]): Promise<{ revision: number; state: State }[]> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReplay([...args, '--format', 'json'], {
      store: harness.store,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    return out.map((line) => JSON.parse(line) as { revision: number; state: State });
  };

  /** The tool's event pages, two events at a time, followed by next_revision. */
  const toolStates = async (stream: string): Promise<{ revision: number; state: State }[]> => {
    const steps: { revision: number; state: State }[] = [];
    for (let from: number | null = 0; from !== null;) {
      const page = await tool('bzzz_replay', { stream, from_revision: from, limit: 2 });
      for (const event of page.events as { revision: number; state: State }[]) {
        steps.push({ revision: event.revision, state: event.state });
      }
      from = page.next_revision as number | null;
    }
    return steps;
  };

  it('after each event of an agent and of a thread, listed, paged and at each revision', async () => {
    await tool('bzzz_announce', { agent_id: 'rev-1', role: 'reviewer', model: 'gpt-test' });
    await tool('bzzz_announce', { agent_id: 'arch-1', role: 'architect' });
    await harness.system.send('agent', 'rev-1', {
      type: 'AssignTask',
      task_id: 't1',
      task_type: 'code_review',
    });
    await harness.system.send('agent', 'rev-1', { type: 'RecordHeartbeat' });
    await harness.system.send('agent', 'rev-1', {
      type: 'CompleteTask',
      task_id: 't1',
      result: 'LGTM',
      usage: { prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.01 },
    });
    await harness.system.send('agent', 'rev-1', {
      type: 'AssignTask',
      task_id: 't2',
      task_type: 'code_review',
    });
    const created = await tool('bzzz_thread', {
      action: 'create',
      topic: 'API design',
      participants: ['arch-1', 'rev-1'],
    });
    const threadId = created.thread_id as string;
    await tool('bzzz_thread', { action: 'post', thread_id: threadId, agent_id: 'arch-1', content: 'REST?' });
    await tool('bzzz_thread', {
      action: 'decide',
      thread_id: threadId,
      agent_id: 'arch-1',
      decision: 'REST with cursors',
      rationale: 'stable pages',
      confidence: 0.8,
    });
    await tool('bzzz_thread', { action: 'close', thread_id: threadId, agent_id: 'arch-1' });

    for (const stream of ['agent-rev-1', `thread-${threadId}`]) {
      const cli = await cliStates([stream]);
      const mcp = await toolStates(stream);
      expect(cli.length, stream).toBeGreaterThanOrEqual(4);
      expect(mcp.map((s) => s.revision)).toEqual(cli.map((s) => s.revision));
      for (const [i, step] of cli.entries()) {
        expect(mcp[i]!.state, `${stream}@${step.revision}`).toEqual(step.state);
        // Time travel to that revision: the same state from both.
        const [atCli] = await cliStates([stream, '--at', String(step.revision)]);
        const atTool = await tool('bzzz_replay', { stream, at_revision: step.revision });
        expect(atCli!.state).toEqual(step.state);
        expect(atTool.state).toMatchObject({ revision: step.revision, view: step.state });
      }
      // And the last state is the one the running actor reports.
      const [category, ...id] = stream.split('-');
      const inspected = await harness.system.inspect(category!, id.join('-'));
      expect(cli.at(-1)!.state).toEqual(inspected.state);
    }
  });
});
