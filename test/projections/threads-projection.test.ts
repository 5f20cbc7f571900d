import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem, type CommandResult } from '../../src/actors/actor-system.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { CommandInput } from '../../src/actors/actor-kind.js';
import type { EventStore } from '../../src/events/event-store.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { threadsProjection } from '../../src/projections/threads/threads-projection.js';
import {
  getThread,
  getThreadMessages,
  listThreads,
  type ListThreadsOptions,
} from '../../src/projections/threads/threads-queries.js';
import { THREAD_TABLES } from '../../src/projections/threads/threads-schema.js';
import { tempStore } from '../support/temp-store.js';

const START = Date.parse('2026-06-01T09:00:00.000Z');
/** Every command runs one second after the previous one: step n happens at START + n s. */
const at = (step: number) => new Date(START + step * 1000).toISOString();

function dump(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(
    THREAD_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()]),
  );
}

describe('threads projection', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  let system: ActorSystem;
  let clock: SimulatedClock;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let last: bigint | undefined;

  /** Advances the clock one second, then runs the command; remembers the last appended position. */
  async function run(id: string, command: CommandInput): Promise<CommandResult> {
    clock.advance(1000);
    const result = await system.send('thread', id, command);
    if (result.position !== undefined) last = result.position;
    return result;
  }

  const ids = (options: ListThreadsOptions) => listThreads(db, options).items.map((item) => item.id);

  beforeEach(() => {
    temp = tempStore('bzzz-threads-projection-');
    store = temp.open();
    clock = new SimulatedClock(START);
    system = new ActorSystem({ store, kinds: actorKinds, clock });
    db = openReadModelDatabase(':memory:');
    runner = new ProjectionRunner(store, db, [threadsProjection]);
    last = undefined;
  });
  afterEach(async () => {
    await runner.stop();
    await system.stop();
    db.close();
    await temp.dispose();
  });

  /** Five threads in every state; see the step numbers for the times. */
  async function scenario() {
    await run('t1', {
      type: 'CreateThread',
      topic: 'API design',
      participants: ['architect-001', 'reviewer-001'],
      creator: 'architect-001',
      project: 'bzzz',
      task: 'task-42',
      metadata: { priority: 'high' },
    }); // 1
    await run('t2', {
      type: 'CreateThread',
      topic: 'Docs',
      participants: ['writer-001'],
      creator: 'docs-001',
      project: 'docs',
    }); // 2
    await run('t3', {
      type: 'CreateThread',
      topic: 'Release plan',
      participants: ['architect-001', 'tester-001'],
      creator: 'tester-001',
      project: 'bzzz',
      escalation_rules: [
        {
          name: 'Any Disagreement',
          conditions: [{ type: 'disagreement_count', threshold: 1 }],
          actions: [{ type: 'notify_human', target: 'project_manager' }],
        },
      ],
    }); // 3
    await run('t4', {
      type: 'CreateThread',
      topic: 'Quick poll',
      participants: ['tester-001'],
      creator: 'tester-001',
      max_rounds: 2,
    }); // 4
    await run('t1', { type: 'JoinThread', participant_id: 'reviewer-001' }); // 5
    const m1 = await run('t1', { type: 'PostMessage', sender: 'architect-001', content: 'REST or gRPC?' }); // 6
    const m1Id = (m1.state.messages as { id: string }[])[0]!.id;
    await run('t1', {
      type: 'PostMessage',
      sender: 'reviewer-001',
      content: 'service Api {}',
      message_type: 'code',
      reply_to: m1Id,
      metadata: { lang: 'proto' },
    }); // 7
    await run('t1', {
      type: 'ReportError',
      reported_by: 'reviewer-001',
      message_id: m1Id,
      error: 'truncated',
    }); // 8
    const again = await run('t1', {
      type: 'ReportError',
      reported_by: 'reviewer-001',
      message_id: m1Id,
      error: 'x',
    }); // 9
    expect(again.events).toEqual([]);
    const decided = await run('t1', {
      type: 'RecordDecision',
      decision: 'Use gRPC',
      decided_by: ['architect-001', 'reviewer-001'],
      rationale: 'typed contracts',
      confidence: 0.8,
    }); // 10
    const decisionId = (decided.state.decisions as { id: string }[])[0]!.id;
    const m3 = await run('t3', { type: 'PostMessage', sender: 'tester-001', content: 'Ship Friday?' }); // 11
    const m3Id = (m3.state.messages as { id: string }[])[0]!.id;
    const escalated = await run('t3', {
      type: 'CastVote',
      voter: 'architect-001',
      proposal_id: m3Id,
      stance: 'disagree',
    }); // 12
    expect(escalated.events.map((e) => e.type)).toEqual(['VoteCast', 'ThreadEscalated']);
    await run('t2', { type: 'PauseThread', paused_by: 'docs-001', reason: 'waiting for input' }); // 13
    await run('t2', { type: 'LeaveThread', participant_id: 'writer-001', reason: 'busy' }); // 14
    await run('t4', { type: 'PostMessage', sender: 'tester-001', content: 'A or B?' }); // 15
    const rounds = await run('t4', { type: 'PostMessage', sender: 'tester-001', content: 'A.' }); // 16
    expect(rounds.events.map((e) => e.type)).toEqual(['MessagePosted', 'ThreadClosed']);
    await run('t1', { type: 'CastVote', voter: 'architect-001', proposal_id: decisionId, stance: 'agree' }); // 17
    const consensus = await run('t1', {
      type: 'CastVote',
      voter: 'reviewer-001',
      proposal_id: decisionId,
      stance: 'agree',
    }); // 18
    expect(consensus.events.map((e) => e.type)).toEqual(['VoteCast', 'ConsensusReached', 'ThreadClosed']);
    const requested = await run('t1', { type: 'RequestSummary', requested_by: 'architect-001' }); // 19
    expect(requested.events.map((e) => e.type)).toEqual(['SummaryRequested']);
    await run('t1', { type: 'SummarizeThread', summary: 'Chose gRPC.', summarized_by: 'architect-001' }); // 20
    await run('t5', {
      type: 'CreateThread',
      topic: 'Chatter',
      participants: ['bot-a', 'bot-b'],
      creator: 'bot-a',
    }); // 21
    for (let i = 1; i <= 60; i++) {
      await run('t5', {
        type: 'PostMessage',
        sender: i % 2 === 1 ? 'bot-a' : 'bot-b',
        content: `message ${i}`,
      }); // 22..81
    }
    const t3 = await system.inspect('thread', 't3');
    const escalationId = (t3.state.escalation_history as { id: string }[])[0]!.id;
    await run('t3', {
      type: 'ResolveEscalation',
      escalation_id: escalationId,
      resolution: 'Ship Monday',
      resolved_by: 'tester-001',
    }); // 82
    return { m1Id, decisionId, escalationId, m3Id };
  }

  it('lists threads by activity, with filters and cursors', async () => {
    await scenario();
    runner.start();
    await runner.waitFor(last);

    const page1 = listThreads(db, { limit: 2 });
    expect(page1.items).toEqual([
      {
        id: 't3',
        topic: 'Release plan',
        participants: ['tester-001', 'architect-001'],
        status: 'active',
        last_activity: at(82),
        message_count: 1,
        created_at: at(3),
        project: 'bzzz',
        stop_reason: null,
      },
      {
        id: 't5',
        topic: 'Chatter',
        participants: ['bot-a', 'bot-b'],
        status: 'active',
        last_activity: at(81),
        message_count: 60,
        created_at: at(21),
        project: null,
        stop_reason: null,
      },
    ]);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = listThreads(db, { limit: 2, cursor: page1.next_cursor! });
    expect(page2.items.map((t) => [t.id, t.status, t.last_activity, t.stop_reason, t.message_count])).toEqual(
      [
        ['t1', 'completed', at(20), 'consensus', 2],
        ['t4', 'closed', at(16), 'max_rounds', 2],
      ],
    );
    const page3 = listThreads(db, { limit: 2, cursor: page2.next_cursor! });
    expect(page3).toEqual({
      items: [
        {
          id: 't2',
          topic: 'Docs',
          participants: ['docs-001'],
          status: 'paused',
          last_activity: at(14),
          message_count: 0,
          created_at: at(2),
          project: 'docs',
          stop_reason: null,
        },
      ],
      next_cursor: null,
    });
    expect(listThreads(db).next_cursor).toBeNull();
    expect(ids({})).toEqual(['t3', 't5', 't1', 't4', 't2']);

    expect(ids({ status: 'active' })).toEqual(['t3', 't5']);
    expect(ids({ status: 'paused' })).toEqual(['t2']);
    expect(ids({ status: 'completed' })).toEqual(['t1']);
    expect(ids({ status: 'closed' })).toEqual(['t4']);
    expect(ids({ status: 'escalated' })).toEqual([]);
    expect(ids({ participant: 'architect-001' })).toEqual(['t3', 't1']);
    expect(ids({ participant: 'tester-001' })).toEqual(['t3', 't4']);
    expect(ids({ participant: 'writer-001' })).toEqual([]); // left t2
    expect(ids({ participant: 'docs-001' })).toEqual(['t2']);
    expect(ids({ project: 'bzzz' })).toEqual(['t3', 't1']);
    expect(ids({ project: 'bzzz', status: 'completed' })).toEqual(['t1']);
    expect(ids({ project: 'bzzz', participant: 'reviewer-001' })).toEqual(['t1']);

    const first = listThreads(db, { participant: 'architect-001', limit: 1 });
    expect(first.items.map((t) => t.id)).toEqual(['t3']);
    const second = listThreads(db, { participant: 'architect-001', limit: 1, cursor: first.next_cursor! });
    expect(second).toMatchObject({ items: [{ id: 't1' }], next_cursor: null });

    expect(() => listThreads(db, { cursor: 'not a cursor' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETERS' }),
    );
    expect(listThreads(db, { limit: 10_000 }).items).toHaveLength(5);
  });

  it('pages through threads with the same last activity by id', async () => {
    for (const id of ['c', 'a', 'b']) {
      const created = await system.send('thread', id, {
        type: 'CreateThread',
        topic: id,
        participants: ['x'],
        creator: 'x',
      });
      last = created.position;
    }
    runner.start();
    await runner.waitFor(last);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = listThreads(db, { limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((t) => `${t.id}@${t.last_activity}`));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(['a', 'b', 'c'].map((id) => `${id}@${new Date(START).toISOString()}`));
  });

  it('answers getThread with what the thread actor says, minus messages', async () => {
    const { m1Id, decisionId, escalationId, m3Id } = await scenario();
    runner.start();
    await runner.waitFor(last);

    for (const id of ['t1', 't2', 't3', 't4', 't5']) {
      const { messages: _, ...view } = (await system.inspect('thread', id)).state;
      expect(getThread(db, id)).toEqual(view);
    }
    expect(getThread(db, 'nope')).toBeUndefined();

    const t1 = getThread(db, 't1')!;
    expect(t1).toMatchObject({
      status: 'completed',
      stop_reason: 'consensus',
      closed_by: 'system',
      closed_at: at(18),
      message_count: 2,
      error_count: 1,
      summary: 'Chose gRPC.',
      summarized_at: at(20),
      summary_requested: false,
      project: 'bzzz',
      task: 'task-42',
      metadata: { priority: 'high' },
      participants: [
        { id: 'architect-001', status: 'active', invited_at: null, joined_at: at(1), left_at: null },
        { id: 'reviewer-001', status: 'active', invited_at: at(1), joined_at: at(5), left_at: null },
      ],
      decisions: [
        {
          id: decisionId,
          decision: 'Use gRPC',
          decided_by: ['architect-001', 'reviewer-001'],
          rationale: 'typed contracts',
          confidence: 0.8,
          timestamp: at(10),
        },
      ],
      consensus: { proposal_id: decisionId, agreeing: ['architect-001', 'reviewer-001'], reached_at: at(18) },
    });
    expect(t1.votes.map((v) => [v.voter, v.stance, v.cast_at])).toEqual([
      ['architect-001', 'agree', at(17)],
      ['reviewer-001', 'agree', at(18)],
    ]);

    expect(getThread(db, 't3')).toMatchObject({
      status: 'active',
      participants: [
        { id: 'tester-001', status: 'active' },
        { id: 'architect-001', status: 'active', joined_at: at(12) },
      ],
      escalation_history: [
        {
          id: escalationId,
          thread_id: 't3',
          rule: 'Any Disagreement',
          condition: 'disagreement_count',
          triggered_at: at(12),
          actions: [{ type: 'notify_human', target: 'project_manager' }],
          resolved: true,
          resolution: 'Ship Monday',
          resolved_by: 'tester-001',
          resolved_at: at(82),
        },
      ],
      votes: [
        { voter: 'architect-001', proposal_id: m3Id, stance: 'disagree', comment: null, cast_at: at(12) },
      ],
    });
    expect(getThread(db, 't2')).toMatchObject({
      status: 'paused',
      paused: { paused_by: 'docs-001', reason: 'waiting for input', paused_at: at(13) },
      participants: [
        { id: 'docs-001', status: 'active', joined_at: at(2) },
        { id: 'writer-001', status: 'left', invited_at: at(2), joined_at: null, left_at: at(14) },
      ],
    });

    const messages = getThreadMessages(db, 't1');
    expect(messages).toEqual({
      items: [
        {
          seq: 1,
          id: m1Id,
          thread_id: 't1',
          sender: 'architect-001',
          content: 'REST or gRPC?',
          message_type: 'text',
          timestamp: at(6),
          reply_to: null,
          metadata: {},
          error: true,
        },
        {
          seq: 2,
          id: expect.any(String),
          thread_id: 't1',
          sender: 'reviewer-001',
          content: 'service Api {}',
          message_type: 'code',
          timestamp: at(7),
          reply_to: m1Id,
          metadata: { lang: 'proto' },
          error: false,
        },
      ],
      next_cursor: null,
    });
  });

  it('pages every message of a thread by seq, beyond what the actor keeps', async () => {
    await scenario();
    runner.start();
    await runner.waitFor(last);

    const seqs: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = getThreadMessages(db, 't5', { limit: 25, ...(cursor === undefined ? {} : { cursor }) });
      seqs.push(page.items.map((m) => m.seq));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(seqs).toEqual([range(1, 25), range(26, 50), range(51, 60)]);

    const newest = getThreadMessages(db, 't5', { limit: 10, order: 'desc' });
    expect(newest.items.map((m) => m.content)).toEqual(
      range(51, 60)
        .reverse()
        .map((i) => `message ${i}`),
    );
    const older = getThreadMessages(db, 't5', { limit: 10, order: 'desc', cursor: newest.next_cursor! });
    expect(older.items.map((m) => m.seq)).toEqual(range(41, 50).reverse());

    // The actor keeps the last 50; the projection's seq 11..60 are exactly those.
    const { state } = await system.inspect('thread', 't5');
    const recent = getThreadMessages(db, 't5', {
      limit: 50,
      cursor: getThreadMessages(db, 't5', { limit: 10 }).next_cursor!,
    });
    expect(recent.items.map(({ seq: _, error: __, ...m }) => m)).toEqual(state.messages);
    expect(recent.next_cursor).toBeNull();

    expect(getThreadMessages(db, 'nope')).toEqual({ items: [], next_cursor: null });
    expect(() => getThreadMessages(db, 't5', { cursor: Buffer.from('["x"]').toString('base64url') })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETERS' }),
    );
  });

  it('tracks invitations, idleness, leaving, pauses while escalated and errors like the actor', async () => {
    runner.start();
    const rules = [
      {
        name: 'Any Disagreement',
        conditions: [{ type: 'disagreement_count', threshold: 1 }],
        actions: [{ type: 'create_decision_thread' }],
      },
    ];
    const steps: CommandInput[] = [
      {
        type: 'CreateThread',
        topic: 'Lifecycle',
        participants: ['a', 'b', 'c'],
        creator: 'a',
        escalation_rules: rules,
      },
      { type: 'InviteParticipants', invited_by: 'a', participants: ['d', 'b'] },
      { type: 'JoinThread', participant_id: 'b' },
      { type: 'MarkParticipantIdle', participant_id: 'b' },
      { type: 'PostMessage', sender: 'b', content: 'back' },
      { type: 'MarkParticipantIdle', participant_id: 'b' },
      { type: 'JoinThread', participant_id: 'b' },
      { type: 'LeaveThread', participant_id: 'c' },
      { type: 'InviteParticipants', invited_by: 'a', participants: ['c'] },
      { type: 'PostMessage', sender: 'a', content: 'proposal', message_type: 'decision' },
      { type: 'ReportError', reported_by: 'a', error: 'tool call failed' },
      { type: 'PostMessage', sender: 'c', content: 'oops', metadata: { error: true } },
      { type: 'PauseThread', paused_by: 'a' },
      { type: 'ResumeThread', resumed_by: 'a' },
    ];
    for (const command of steps) {
      await run('t6', command);
      await runner.waitFor(last);
      const { messages: _, ...view } = (await system.inspect('thread', 't6')).state;
      expect(getThread(db, 't6')).toEqual(view);
    }
    const proposal = getThreadMessages(db, 't6').items[1]!;
    const vote = await run('t6', {
      type: 'CastVote',
      voter: 'd',
      proposal_id: proposal.id,
      stance: 'disagree',
    });
    expect(vote.events.map((e) => e.type)).toEqual(['VoteCast', 'ThreadEscalated']);
    await run('t6', { type: 'PauseThread', paused_by: 'a', reason: 'lunch' });
    await runner.waitFor(last);
    expect(listThreads(db).items[0]).toMatchObject({ id: 't6', status: 'paused' });
    await run('t6', { type: 'ResumeThread', resumed_by: 'a' });
    await runner.waitFor(last);
    const { messages: _, ...view } = (await system.inspect('thread', 't6')).state;
    const thread = getThread(db, 't6')!;
    expect(thread).toEqual(view);
    expect(thread).toMatchObject({ status: 'escalated', error_count: 2, message_count: 3, paused: null });
    expect(thread.participants.map((p) => [p.id, p.status])).toEqual([
      ['a', 'active'],
      ['b', 'active'],
      ['c', 'active'],
      ['d', 'active'],
    ]);
    expect(ids({ status: 'escalated' })).toEqual(['t6']);
    expect(listThreads(db).items[0]!.participants).toEqual(['a', 'b', 'c', 'd']);
  });

  it('follows live events and rebuilds to exactly the same rows', async () => {
    runner.start();
    await scenario();
    await runner.waitFor(last);
    const incremental = dump(db);
    expect(incremental.threads).toHaveLength(5);
    expect(incremental.thread_messages).toHaveLength(65);
    expect(incremental.thread_escalations).toHaveLength(1);

    const status = await runner.rebuild('threads');
    expect(status).toMatchObject({ name: 'threads', state: 'running', position: last });
    expect(dump(db)).toEqual(incremental);

    // Still follows live events after the rebuild.
    await run('t5', { type: 'PostMessage', sender: 'bot-b', content: 'after rebuild' });
    await runner.waitFor(last);
    expect(listThreads(db, { limit: 1 }).items[0]).toMatchObject({ id: 't5', message_count: 61 });
  });
});
