import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startActorRuntime } from '../../src/actors/actor-runtime.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import type { Effect } from '../../src/actors/effects.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { ActorRuntime } from '../../src/actors/actor-runtime.js';
import { tempStore } from '../support/temp-store.js';

/** The real agent and thread machines through the runtime, with a simulated clock and effect handlers. */
describe('agent and thread actors through the runtime', () => {
  let temp: ReturnType<typeof tempStore>;
  let runtime: ActorRuntime;
  let clock: SimulatedClock;
  const executed: Effect[] = [];

  beforeEach(() => {
    temp = tempStore('bzzz-kinds-');
    clock = new SimulatedClock(Date.parse('2026-06-01T09:00:00Z'));
    executed.length = 0;
    runtime = startActorRuntime({
      store: temp.open(),
      kinds: actorKinds,
      clock,
      runtimeDbPath: ':memory:',
      effects: {
        // Stands in for the LLM task runner: report the outcome back to the agent as commands.
        requestTaskExecution: async (effect) => {
          executed.push(effect);
          const { agentId, taskId } = effect.params as { agentId: string; taskId: string };
          await runtime.system.send('agent', agentId, { type: 'StartTask', task_id: taskId });
          await runtime.system.send('agent', agentId, {
            type: 'CompleteTask',
            task_id: taskId,
            result: { review: 'looks good' },
            usage: { prompt_tokens: 120, completion_tokens: 30 },
          });
        },
      },
    });
  });
  afterEach(async () => {
    await runtime.close();
    await temp.dispose();
  });

  it('assigns a task, runs its effect after the append, and records the outcome', async () => {
    const { system } = runtime;
    await system.send('agent', 'reviewer-001', {
      type: 'AnnounceAgent',
      role: 'reviewer',
      capabilities: ['code_review'],
    });
    const assigned = await system.send('agent', 'reviewer-001', {
      type: 'AssignTask',
      task_id: 'task-1',
      task_type: 'code_review',
      input: { code: 'let x = 1', language: 'ts' },
    });
    expect(assigned.events.map((e) => e.type)).toEqual(['TaskAssigned']);
    await system.settled();
    expect(executed.map((e) => e.idempotencyKey)).toEqual(['agent-reviewer-001@1#0']);
    const { state } = await system.inspect('agent', 'reviewer-001');
    expect(state).toMatchObject({ status: 'idle', completed_tasks: 1, current_tasks: [] });
    const types = (await temp.open().readStream('agent-reviewer-001')).map((e) => e.type);
    expect(types).toEqual(['AgentAnnounced', 'TaskAssigned', 'TaskStarted', 'TaskCompleted']);
  });

  it('takes an agent offline when its heartbeat deadline passes, durably', async () => {
    const { system, deadlines } = runtime;
    await system.send('agent', 'a1', { type: 'AnnounceAgent', role: 'tester', heartbeat_timeout_s: 30 });
    clock.advance(20_000);
    const beat = await system.send('agent', 'a1', { type: 'RecordHeartbeat' });
    await deadlines.caughtUp(beat.position!);
    clock.advance(29_000);
    await deadlines.fireDue();
    expect((await system.inspect('agent', 'a1')).state).toMatchObject({ status: 'idle' });
    clock.advance(1_000);
    await deadlines.fireDue();
    expect((await system.inspect('agent', 'a1')).state).toMatchObject({
      status: 'offline',
      available: false,
    });
  });

  it('runs a thread from creation to consensus, refusing posts once closed', async () => {
    const { system } = runtime;
    await system.send('thread', 't1', {
      type: 'CreateThread',
      topic: 'API design',
      participants: ['architect-001', 'reviewer-001'],
      creator: 'architect-001',
    });
    await system.send('thread', 't1', { type: 'JoinThread', participant_id: 'reviewer-001' });
    const posted = await system.send('thread', 't1', {
      type: 'PostMessage',
      sender: 'architect-001',
      content: 'REST or gRPC?',
    });
    const messageId = (posted.state.messages as { id: string }[])[0]!.id;
    await system.send('thread', 't1', {
      type: 'CastVote',
      voter: 'architect-001',
      proposal_id: messageId,
      stance: 'agree',
    });
    const closing = await system.send('thread', 't1', {
      type: 'CastVote',
      voter: 'reviewer-001',
      proposal_id: messageId,
      stance: 'agree',
    });
    expect(closing.events.map((e) => e.type)).toEqual(['VoteCast', 'ConsensusReached', 'ThreadClosed']);
    expect(closing.state).toMatchObject({ status: 'completed', stop_reason: 'consensus' });
    await expect(
      system.send('thread', 't1', { type: 'PostMessage', sender: 'architect-001', content: 'late' }),
    ).rejects.toMatchObject({
      code: 'THREAD_CLOSED',
    });
  });
});
