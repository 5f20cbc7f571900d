import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMcpHarness, structured } from '../support/mcp-harness.js';

type Harness = Awaited<ReturnType<typeof startMcpHarness>>;

describe('bzzz_thread (real SDK client, in-memory transport)', () => {
  let harness: Harness;
  let client: Client;
  beforeEach(async () => {
    harness = await startMcpHarness();
    client = await harness.connect();
    for (const [id, role] of [
      ['architect-001', 'architect'],
      ['reviewer-001', 'reviewer'],
      ['tester-001', 'tester'],
    ] as const) {
      await client.callTool({ name: 'bzzz_announce', arguments: { agent_id: id, role } });
    }
  });
  afterEach(() => harness.close());

  const thread = async (args: Record<string, unknown>) => {
    const result = await client.callTool({ name: 'bzzz_thread', arguments: args });
    return { isError: result.isError === true, body: structured(result) };
  };
  const create = async () => {
    const { body } = await thread({
      action: 'create',
      topic: 'API Design Review',
      participants: ['architect-001', 'reviewer-001'],
    });
    return body.thread_id as string;
  };

  it('creates a thread with a generated id and lists it at once', async () => {
    const { isError, body } = await thread({
      action: 'create',
      topic: 'API Design Review',
      participants: ['architect-001', 'reviewer-001'],
    });
    expect(isError).toBe(false);
    expect(body).toMatchObject({
      success: true,
      action: 'create',
      thread_id: expect.stringMatching(/^thread-\d{13}-[0-9a-z]{6}$/),
      result: {
        topic: 'API Design Review',
        participants: ['architect-001', 'reviewer-001'],
        creator: 'architect-001',
        status: 'active',
        created_at: expect.any(String),
      },
      position: expect.stringMatching(/^\d+$/),
      timestamp: expect.any(String),
    });
    const listed = await thread({ action: 'list' });
    expect(listed.body).toMatchObject({
      success: true,
      action: 'list',
      result: [
        {
          id: body.thread_id,
          topic: 'API Design Review',
          participants: ['architect-001', 'reviewer-001'],
          status: 'active',
          message_count: 0,
          last_activity: expect.any(String),
        },
      ],
      next_cursor: null,
    });
    const forTester = await thread({ action: 'list', agent_id: 'tester-001' });
    expect(forTester.body.result).toEqual([]);
  });

  it('joins, posts, decides, votes to consensus, and the thread completes', async () => {
    const id = await create();
    const joined = await thread({ action: 'join', thread_id: id, agent_id: 'tester-001' });
    expect(joined.body.result).toMatchObject({
      participants: expect.arrayContaining([{ id: 'tester-001', status: 'active' }]),
      changed: true,
    });
    const posted = await thread({
      action: 'post',
      thread_id: id,
      agent_id: 'architect-001',
      content: 'Proposal: REST with cursor pagination',
      message_type: 'text',
    });
    const message = (posted.body.result as { message: { id: string } }).message;
    expect(posted.body.result).toMatchObject({
      message: {
        sender: 'architect-001',
        content: 'Proposal: REST with cursor pagination',
        message_type: 'text',
      },
      thread: { message_count: 1 },
    });
    const decided = await thread({
      action: 'decide',
      thread_id: id,
      agent_id: 'architect-001',
      decision: 'Use cursor pagination',
      rationale: 'stable under inserts',
      confidence: 0.9,
    });
    const decision = (decided.body.result as { decision: { id: string } }).decision;
    expect(decision).toMatchObject({ decision: 'Use cursor pagination', confidence: 0.9 });
    const reply = await thread({
      action: 'post',
      thread_id: id,
      agent_id: 'reviewer-001',
      content: 'Agreed',
      reply_to: message.id,
    });
    expect(reply.body.result).toMatchObject({ message: { reply_to: message.id } });
    const first = await thread({
      action: 'vote',
      thread_id: id,
      agent_id: 'architect-001',
      proposal_id: decision.id,
      stance: 'agree',
    });
    expect(first.body.result).toMatchObject({ consensus: null, thread: { status: 'active' } });
    // 2 of 3 active participants agree: 0.67 reaches the default threshold 0.66.
    const second = await thread({
      action: 'vote',
      thread_id: id,
      agent_id: 'reviewer-001',
      proposal_id: decision.id,
      stance: 'agree',
    });
    expect(second.body.result).toMatchObject({
      vote: { voter: 'reviewer-001', stance: 'agree' },
      consensus: { proposal_id: decision.id, agreeing: ['architect-001', 'reviewer-001'] },
      thread: { status: 'completed', stop_reason: 'consensus' },
    });
    const completed = await thread({ action: 'list', status: 'completed' });
    expect(completed.body.result).toMatchObject([{ id, status: 'completed' }]);
  });

  it('leaves and closes; a closed thread takes no messages (THREAD_CLOSED)', async () => {
    const id = await create();
    const left = await thread({ action: 'leave', thread_id: id, agent_id: 'reviewer-001', reason: 'done' });
    expect(left.body.result).toMatchObject({
      participants: expect.arrayContaining([{ id: 'reviewer-001', status: 'left' }]),
      changed: true,
    });
    const closed = await thread({
      action: 'close',
      thread_id: id,
      agent_id: 'architect-001',
      stop_reason: 'escalated',
      reason: 'needs a human',
    });
    expect(closed.body.result).toMatchObject({
      status: 'closed',
      stop_reason: 'escalated',
      closed_by: 'architect-001',
      close_note: 'needs a human',
      changed: true,
    });
    const before = await harness.store.readAll();
    const refused = await thread({ action: 'post', thread_id: id, agent_id: 'architect-001', content: 'hi' });
    expect(refused).toMatchObject({ isError: true, body: { success: false, code: 'THREAD_CLOSED' } });
    expect(await harness.store.readAll()).toEqual(before);
  });

  it('summarizes: a digest, then a recorded summary, then the stored one', async () => {
    const id = await create();
    await thread({ action: 'post', thread_id: id, agent_id: 'architect-001', content: 'First point' });
    const digest = await thread({ action: 'summarize', thread_id: id });
    expect(digest.body).toMatchObject({
      action: 'summarize',
      thread_id: id,
      result: { source: 'digest', message_count: 1, summary: expect.stringContaining('First point') },
    });
    expect(digest.body).not.toHaveProperty('position');
    const recorded = await thread({
      action: 'summarize',
      thread_id: id,
      agent_id: 'architect-001',
      summary: 'We agreed on one point.',
    });
    expect(recorded.body.result).toMatchObject({ source: 'recorded', summary: 'We agreed on one point.' });
    const stored = await thread({ action: 'summarize', thread_id: id });
    expect(stored.body.result).toMatchObject({
      source: 'stored',
      summary: 'We agreed on one point.',
      summarized_at: expect.any(String),
    });
    const requested = await thread({
      action: 'summarize',
      thread_id: id,
      agent_id: 'reviewer-001',
      request_summary: true,
    });
    expect(requested.body.result).toMatchObject({ source: 'requested', summary_requested: true });
  });

  it('answers each error with its code and appends nothing', async () => {
    const id = await create();
    const before = await harness.store.readAll();
    const cases: [Record<string, unknown>, string][] = [
      [{ action: 'create', topic: 'x', participants: ['ghost-1'] }, 'AGENT_NOT_FOUND'],
      [
        { action: 'create', topic: 'x', participants: ['architect-001'], agent_id: 'ghost-2' },
        'AGENT_NOT_FOUND',
      ],
      [{ action: 'create', participants: ['architect-001'] }, 'INVALID_PARAMETERS'],
      [{ action: 'join', thread_id: 'thread-missing', agent_id: 'tester-001' }, 'THREAD_NOT_FOUND'],
      [{ action: 'join', thread_id: id, agent_id: 'ghost-3' }, 'AGENT_NOT_FOUND'],
      [{ action: 'join', thread_id: id }, 'INVALID_PARAMETERS'],
      [
        { action: 'post', thread_id: 'thread-missing', agent_id: 'tester-001', content: 'x' },
        'THREAD_NOT_FOUND',
      ],
      [{ action: 'post', thread_id: id, agent_id: 'tester-001', content: 'x' }, 'NOT_PARTICIPANT'],
      [
        { action: 'post', thread_id: id, agent_id: 'architect-001', content: 'x', reply_to: 'nope' },
        'MESSAGE_NOT_FOUND',
      ],
      [
        { action: 'vote', thread_id: id, agent_id: 'architect-001', proposal_id: 'nope', stance: 'agree' },
        'MESSAGE_NOT_FOUND',
      ],
      [{ action: 'decide', thread_id: id, agent_id: 'architect-001', decision: 'x' }, 'INVALID_PARAMETERS'],
      [{ action: 'summarize', thread_id: 'thread-missing' }, 'THREAD_NOT_FOUND'],
      [{ action: 'summarize', thread_id: id, summary: 'no author' }, 'INVALID_PARAMETERS'],
      [{ action: 'close', thread_id: 'thread-missing', agent_id: 'architect-001' }, 'THREAD_NOT_FOUND'],
      [{ action: 'leave', thread_id: id, agent_id: 'tester-001' }, 'NOT_PARTICIPANT'],
      [{ action: 'list', status: 'bogus' }, 'INVALID_PARAMETERS'],
      [{ action: 'list', cursor: 'not-a-cursor' }, 'INVALID_PARAMETERS'],
      [
        { action: 'create', topic: 'x', participants: ['architect-001'], thread_id: id },
        'INVALID_TRANSITION',
      ],
      [{ action: 'fly' }, 'INVALID_PARAMETERS'],
    ];
    for (const [args, code] of cases) {
      const { isError, body } = await thread(args);
      expect(isError, JSON.stringify(args)).toBe(true);
      expect(body, JSON.stringify(args)).toMatchObject({
        success: false,
        code,
        timestamp: expect.any(String),
      });
    }
    expect(await harness.store.readAll()).toEqual(before);
  });
});
