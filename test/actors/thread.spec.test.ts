import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, DomainErrorCode } from '../../src/actors/domain-error.js';
import { applyEvent, decideAndApply, initialState } from '../../src/actors/fold.js';
import {
  DEFAULT_ESCALATION_RULES,
  type EscalationRule,
  normalizeRule,
} from '../../src/actors/thread/escalation-rules.js';
import type { ThreadCommandInput } from '../../src/actors/thread/thread-commands.js';
import type {
  MessagePosted,
  ThreadCreated,
  ThreadEscalated,
  ThreadEvent,
  VoteCast,
} from '../../src/actors/thread/thread-events.js';
import { threadKind } from '../../src/actors/thread/thread-kind.js';
import { TURN_CHUNK } from '../../src/actors/thread/thread-turns.js';
import { restoreSnapshot, snapshotOf } from '../../src/actors/rehydrate.js';
import { whyNotJson } from '../../src/events/json.js';
import { SPEC_NOW, spec } from '../support/actor-spec.js';

const Code = DomainErrorCode;
const NOW = new Date(SPEC_NOW).toISOString();
/** The thread was created an hour before the specs' "now". */
const T0 = SPEC_NOW - 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const minutes = (n: number) => n * 60_000;
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const cmd = (command: ThreadCommandInput) => command;
const thread = () => spec(threadKind, 't1');

const A = 'architect-001';
const R = 'reviewer-001';
const Q = 'tester-001';
const RULES = DEFAULT_ESCALATION_RULES.map(normalizeRule);

const created = (overrides: Partial<ThreadCreated> = {}): ThreadCreated => ({
  type: 'ThreadCreated',
  thread_id: 't1',
  topic: 'API Design Review',
  creator: A,
  participants: [A, R, Q],
  project: 'myproject',
  task: 'api_design',
  escalation_rules: RULES,
  consensus_threshold: 0.66,
  max_rounds: null,
  metadata: {},
  created_at: iso(T0),
  ...overrides,
});
const posted = (n: number, sender = A, overrides: Partial<MessagePosted> = {}): MessagePosted => ({
  type: 'MessagePosted',
  message_id: `m${n}`,
  sender,
  content: `message ${n}`,
  message_type: 'text',
  reply_to: null,
  metadata: {},
  posted_at: iso(T0 + minutes(n)),
  ...overrides,
});
const joined = (participant: string, atMs = T0 + 1000): ThreadEvent => ({
  type: 'ParticipantJoined',
  participant_id: participant,
  joined_at: iso(atMs),
});
const voted = (
  voter: string,
  proposal: string,
  stance: VoteCast['stance'],
  atMs = T0 + minutes(30),
): VoteCast => ({
  type: 'VoteCast',
  voter,
  proposal_id: proposal,
  stance,
  comment: null,
  cast_at: iso(atMs),
});
const escalated = (rule: string, escalationId = 'e1', atMs = T0 + minutes(40)): ThreadEscalated => {
  const found = RULES.find((r) => r.name === rule);
  return {
    type: 'ThreadEscalated',
    escalation_id: escalationId,
    rule,
    condition: found?.conditions[0]?.type ?? 'disagreement_count',
    reason: `${rule}: test`,
    triggered_at: iso(atMs),
    actions: found?.actions ?? [],
  };
};
const closed = (stopReason: 'closed' | 'consensus' = 'closed'): ThreadEvent => ({
  type: 'ThreadClosed',
  stop_reason: stopReason,
  closed_by: A,
  note: null,
  closed_at: iso(T0 + minutes(50)),
});
const paused: ThreadEvent = {
  type: 'ThreadPaused',
  paused_by: A,
  reason: null,
  paused_at: iso(T0 + minutes(20)),
};

/** Everyone has joined: three active participants. */
const allActive = [created(), joined(R), joined(Q)];

const stateOf = (history: ThreadEvent[]) => thread().given(history).state;
const viewOf = (history: ThreadEvent[]) => threadKind.view(stateOf(history));
const contextAtNow = () => {
  let n = 0;
  return { actorId: 't1', now: SPEC_NOW, newId: () => id(++n) };
};

describe('thread: CreateThread', () => {
  it('records the defaults in effect, the creator first and active, the others invited', () => {
    const state = thread()
      .given()
      .when(cmd({ type: 'CreateThread', topic: 'API Design Review', participants: [R, A, R], creator: A }))
      .then([
        created({
          participants: [A, R],
          project: null,
          task: null,
          escalation_rules: RULES,
          created_at: NOW,
        }),
      ]);
    const view = threadKind.view(state);
    expect(view).toMatchObject({
      id: 't1',
      topic: 'API Design Review',
      creator: A,
      status: 'active',
      created_at: NOW,
      message_count: 0,
      consensus_threshold: 0.66,
      max_rounds: null,
      stop_reason: null,
      participants: [
        { id: A, status: 'active', joined_at: NOW },
        { id: R, status: 'invited', joined_at: null },
      ],
    });
  });

  it('records custom rules, threshold, max_rounds, project, task and metadata', () => {
    const rules: EscalationRule[] = [
      {
        name: 'Stuck',
        conditions: [{ type: 'no_progress', threshold: 600 }],
        actions: [{ type: 'notify_human' }],
        priority: 0,
      },
    ];
    thread()
      .given()
      .when(
        cmd({
          type: 'CreateThread',
          topic: 'T',
          participants: [R],
          creator: A,
          project: 'p',
          task: 'k',
          escalation_rules: [
            {
              name: 'Stuck',
              conditions: [{ type: 'no_progress', threshold: 600 }],
              actions: [{ type: 'notify_human' }],
            },
          ],
          consensus_threshold: 1,
          max_rounds: 10,
          metadata: { origin: 'test' },
        }),
      )
      .then([
        created({
          topic: 'T',
          participants: [A, R],
          project: 'p',
          task: 'k',
          escalation_rules: rules,
          consensus_threshold: 1,
          max_rounds: 10,
          metadata: { origin: 'test' },
          created_at: NOW,
        }),
      ]);
  });

  it('refuses to create a thread twice', () => {
    thread()
      .given([created()])
      .when(cmd({ type: 'CreateThread', topic: 'again', participants: [R], creator: A }))
      .thenThrows(Code.InvalidTransition, /already exists/);
  });

  it('validates parameters: participants, unique rule names, threshold', () => {
    const base = { type: 'CreateThread' as const, topic: 'T', creator: A };
    thread()
      .given()
      .when(cmd({ ...base, participants: [] }))
      .thenThrows(Code.InvalidParameters);
    thread()
      .given()
      .when(cmd({ ...base, participants: [R], consensus_threshold: 0 }))
      .thenThrows(Code.InvalidParameters);
    const rule = {
      name: 'x',
      conditions: [{ type: 'error_rate' as const, threshold: 0.5 }],
      actions: [{ type: 'notify_human' as const }],
    };
    thread()
      .given()
      .when(cmd({ ...base, participants: [R], escalation_rules: [rule, rule] }))
      .thenThrows(Code.InvalidParameters, /unique/);
  });

  it('refuses every other command on a thread that was never created', () => {
    const commands: ThreadCommandInput[] = [
      { type: 'InviteParticipants', invited_by: A, participants: [R] },
      { type: 'JoinThread', participant_id: R },
      { type: 'LeaveThread', participant_id: R },
      { type: 'MarkParticipantIdle', participant_id: R },
      { type: 'PostMessage', sender: A, content: 'hi' },
      { type: 'RecordDecision', decision: 'd', decided_by: [A], confidence: 0.5 },
      { type: 'CastVote', voter: A, proposal_id: 'm1', stance: 'agree' },
      { type: 'ReportError', reported_by: A, error: 'boom' },
      { type: 'PauseThread', paused_by: A },
      { type: 'ResumeThread', resumed_by: A },
      { type: 'ResolveEscalation', escalation_id: 'e1', resolution: 'r', resolved_by: A },
      { type: 'RequestSummary', requested_by: A },
      { type: 'SummarizeThread', summary: 's', summarized_by: A },
      { type: 'CloseThread', closed_by: A, stop_reason: 'closed' },
    ];
    for (const command of commands) thread().given().when(command).thenThrows(Code.ThreadNotFound);
  });
});

describe('thread: closed and paused threads', () => {
  it('refuses every command but summaries, resolutions and closing once the thread is closed', () => {
    const refused: ThreadCommandInput[] = [
      { type: 'InviteParticipants', invited_by: A, participants: ['x'] },
      { type: 'JoinThread', participant_id: 'x' },
      { type: 'LeaveThread', participant_id: R },
      { type: 'MarkParticipantIdle', participant_id: A },
      { type: 'PostMessage', sender: A, content: 'hi' },
      { type: 'RecordDecision', decision: 'd', decided_by: A, confidence: 0.5 },
      { type: 'CastVote', voter: A, proposal_id: 'm1', stance: 'agree' },
      { type: 'ReportError', reported_by: A, error: 'boom' },
      { type: 'PauseThread', paused_by: A },
      { type: 'ResumeThread', resumed_by: A },
    ];
    for (const command of refused)
      thread()
        .given([created(), posted(1), closed()])
        .when(command)
        .thenThrows(Code.ThreadClosed);
  });

  it('refuses messages, decisions and votes while paused, but takes membership changes', () => {
    const refused: ThreadCommandInput[] = [
      { type: 'PostMessage', sender: A, content: 'hi' },
      { type: 'RecordDecision', decision: 'd', decided_by: [A], confidence: 0.5 },
      { type: 'CastVote', voter: A, proposal_id: 'm1', stance: 'agree' },
    ];
    for (const command of refused) {
      thread()
        .given([created(), posted(1), paused])
        .when(command)
        .thenThrows(Code.InvalidTransition, /paused/);
    }
    thread()
      .given([created(), posted(1), paused])
      .when(cmd({ type: 'JoinThread', participant_id: R }))
      .then([{ type: 'ParticipantJoined', participant_id: R, joined_at: NOW }]);
  });
});

describe('thread: participants', () => {
  it('invites new agents, skips members, re-invites those who left', () => {
    const left: ThreadEvent = {
      type: 'ParticipantLeft',
      participant_id: Q,
      reason: null,
      left_at: iso(T0 + 5000),
    };
    const state = thread()
      .given([created(), left])
      .when(
        cmd({
          type: 'InviteParticipants',
          invited_by: A,
          participants: [R, Q, 'security-001', 'security-001'],
        }),
      )
      .then([
        { type: 'ParticipantInvited', participant_id: Q, invited_by: A, invited_at: NOW },
        { type: 'ParticipantInvited', participant_id: 'security-001', invited_by: A, invited_at: NOW },
      ]);
    expect(threadKind.view(state).participants).toMatchObject([
      { id: A, status: 'active' },
      { id: R, status: 'invited' },
      { id: Q, status: 'invited', left_at: null },
      { id: 'security-001', status: 'invited', invited_at: NOW },
    ]);
    thread()
      .given([created()])
      .when(cmd({ type: 'InviteParticipants', invited_by: A, participants: [A, R] }))
      .thenNothingHappened();
    thread()
      .given([created(), closed()])
      .when(cmd({ type: 'InviteParticipants', invited_by: A, participants: ['x'] }))
      .thenThrows(Code.ThreadClosed);
  });

  it('joins: invited and outsiders become active; joining again changes nothing', () => {
    const state = thread()
      .given([created()])
      .when(cmd({ type: 'JoinThread', participant_id: R }))
      .then([{ type: 'ParticipantJoined', participant_id: R, joined_at: NOW }]);
    expect(threadKind.view(state).participants).toContainEqual(
      expect.objectContaining({ id: R, status: 'active', joined_at: NOW }),
    );
    thread()
      .given([created()])
      .when(cmd({ type: 'JoinThread', participant_id: 'outsider' }))
      .then([{ type: 'ParticipantJoined', participant_id: 'outsider', joined_at: NOW }]);
    thread()
      .given([created(), joined(R)])
      .when(cmd({ type: 'JoinThread', participant_id: R }))
      .thenNothingHappened();
    thread()
      .given([created(), closed()])
      .when(cmd({ type: 'JoinThread', participant_id: R }))
      .thenThrows(Code.ThreadClosed);
  });

  it('leaves once: leaving again changes nothing, a stranger leaving is NOT_PARTICIPANT', () => {
    const leave = cmd({ type: 'LeaveThread', participant_id: R, reason: 'done' });
    thread()
      .given([created()])
      .when(leave)
      .then([{ type: 'ParticipantLeft', participant_id: R, reason: 'done', left_at: NOW }]);
    const left: ThreadEvent = {
      type: 'ParticipantLeft',
      participant_id: R,
      reason: null,
      left_at: iso(T0 + 5000),
    };
    thread().given([created(), left]).when(leave).thenNothingHappened();
    thread()
      .given([created()])
      .when(cmd({ type: 'LeaveThread', participant_id: 'stranger' }))
      .thenThrows(Code.NotParticipant);
  });

  it('marks active participants idle; posting makes them active again', () => {
    thread()
      .given(allActive)
      .when(cmd({ type: 'MarkParticipantIdle', participant_id: R }))
      .then([{ type: 'ParticipantWentIdle', participant_id: R, idle_at: NOW }]);
    const idle: ThreadEvent = { type: 'ParticipantWentIdle', participant_id: R, idle_at: iso(T0 + 5000) };
    thread()
      .given([...allActive, idle])
      .when(cmd({ type: 'MarkParticipantIdle', participant_id: R }))
      .thenNothingHappened();
    thread()
      .given([created()])
      .when(cmd({ type: 'MarkParticipantIdle', participant_id: 'x' }))
      .thenThrows(Code.NotParticipant);
    const view = viewOf([...allActive, idle, posted(1, R)]);
    expect(view.participants).toContainEqual(
      expect.objectContaining({ id: R, status: 'active', joined_at: iso(T0 + 1000) }),
    );
  });
});

describe('thread: PostMessage', () => {
  it('posts a message with a fresh id; an invited sender becomes active', () => {
    const state = thread()
      .given([created()])
      .when(
        cmd({
          type: 'PostMessage',
          sender: R,
          content: 'LGTM?',
          message_type: 'question',
          metadata: { tokens: 3 },
        }),
      )
      .then([
        {
          type: 'MessagePosted',
          message_id: id(1),
          sender: R,
          content: 'LGTM?',
          message_type: 'question',
          reply_to: null,
          metadata: { tokens: 3 },
          posted_at: NOW,
        },
      ]);
    const view = threadKind.view(state);
    expect(view).toMatchObject({ message_count: 1, last_activity: NOW });
    expect(view.participants).toContainEqual(
      expect.objectContaining({ id: R, status: 'active', joined_at: NOW }),
    );
    expect(view.messages).toEqual([
      {
        id: id(1),
        thread_id: 't1',
        sender: R,
        content: 'LGTM?',
        message_type: 'question',
        timestamp: NOW,
        reply_to: null,
        metadata: { tokens: 3 },
      },
    ]);
  });

  it('replies to an existing message; a missing one is MESSAGE_NOT_FOUND', () => {
    thread()
      .given([created(), posted(1)])
      .when(cmd({ type: 'PostMessage', sender: A, content: 're', reply_to: 'm1' }))
      .then([
        {
          type: 'MessagePosted',
          message_id: id(1),
          sender: A,
          content: 're',
          message_type: 'text',
          reply_to: 'm1',
          metadata: {},
          posted_at: NOW,
        },
      ]);
    thread()
      .given([created(), posted(1)])
      .when(cmd({ type: 'PostMessage', sender: A, content: 're', reply_to: 'm9' }))
      .thenThrows(Code.MessageNotFound);
  });

  it('refuses senders who are not participants or have left', () => {
    thread()
      .given([created()])
      .when(cmd({ type: 'PostMessage', sender: 'x', content: 'hi' }))
      .thenThrows(Code.NotParticipant);
    const left: ThreadEvent = {
      type: 'ParticipantLeft',
      participant_id: R,
      reason: null,
      left_at: iso(T0 + 5000),
    };
    thread()
      .given([created(), left])
      .when(cmd({ type: 'PostMessage', sender: R, content: 'hi' }))
      .thenThrows(Code.NotParticipant, /left/);
  });

  it('refuses messages to a closed or completed thread with THREAD_CLOSED, and to a paused one', () => {
    const post = cmd({ type: 'PostMessage', sender: A, content: 'hi' });
    thread()
      .given([created(), closed()])
      .when(post)
      .thenThrows(Code.ThreadClosed, /was closed \(stop reason closed\).*no more messages/);
    thread()
      .given([created(), closed('consensus')])
      .when(post)
      .thenThrows(Code.ThreadClosed, /was completed \(stop reason consensus\)/);
    thread()
      .given([created(), paused])
      .when(post)
      .thenThrows(Code.InvalidTransition, /paused/);
  });

  it('closes with max_rounds in the same decide when the limit is reached', () => {
    const state = thread()
      .given([created({ max_rounds: 2 }), posted(1)])
      .when(cmd({ type: 'PostMessage', sender: A, content: 'last' }))
      .then([
        expect.objectContaining({ type: 'MessagePosted', message_id: id(1) }),
        {
          type: 'ThreadClosed',
          stop_reason: 'max_rounds',
          closed_by: 'system',
          note: 'reached max_rounds (2 messages)',
          closed_at: NOW,
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({
      status: 'closed',
      stop_reason: 'max_rounds',
      message_count: 2,
    });
  });

  it('keeps the last 50 messages in the view but every id for replies', () => {
    const history: ThreadEvent[] = [created()];
    for (let n = 1; n <= 55; n++) history.push(posted(n));
    const state = stateOf(history);
    const view = threadKind.view(state) as { messages: { id: string }[]; message_count: number };
    expect(view.message_count).toBe(55);
    expect(view.messages).toHaveLength(50);
    expect(view.messages[0]?.id).toBe('m6');
    thread()
      .given(history)
      .when(cmd({ type: 'PostMessage', sender: A, content: 'back to the start', reply_to: 'm1' }))
      .then([expect.objectContaining({ type: 'MessagePosted', reply_to: 'm1' })]);
  });
});

describe('thread: long threads', () => {
  // More messages than one chunk of turns holds (thread-turns.ts): the first ones sit in full chunks.
  const many = Array.from({ length: 3 * TURN_CHUNK + 10 }, (_, n) =>
    posted(n, [A, R, Q][n % 3], { posted_at: iso(T0 + n * 1000) }),
  );
  const long = [...allActive, ...many];

  it('still knows its first messages: replies, error reports, duplicate ids, across a snapshot', () => {
    const state = stateOf(long);
    expect(threadKind.view(state)).toMatchObject({ message_count: many.length, error_count: 0 });
    const reply = decideAndApply(
      threadKind,
      state,
      cmd({ type: 'PostMessage', sender: R, content: 're', reply_to: 'm1' }),
      contextAtNow(),
    );
    expect(reply.events).toMatchObject([{ type: 'MessagePosted', reply_to: 'm1' }]);
    const flagged = decideAndApply(
      threadKind,
      state,
      cmd({ type: 'ReportError', reported_by: Q, message_id: 'm2', error: 'tool failed' }),
      contextAtNow(),
    );
    expect(flagged.events).toMatchObject([{ type: 'ErrorReported', message_id: 'm2' }]);
    expect(threadKind.view(flagged.state)).toMatchObject({ error_count: 1 });
    // Reported once: reporting it again records nothing.
    const again = cmd({ type: 'ReportError', reported_by: Q, message_id: 'm2', error: 'again' });
    expect(decideAndApply(threadKind, flagged.state, again, contextAtNow()).events).toEqual([]);
    // A message id the thread already has (in its first chunk) is refused.
    expect(() => applyEvent(threadKind, state, posted(5, A))).toThrow(DomainError);

    const restored = restoreSnapshot(
      threadKind,
      snapshotOf(threadKind, 'thread-t1', { state, revision: 1 }),
    )!;
    expect(threadKind.view(restored.state)).toEqual(threadKind.view(state));
    expect(() => applyEvent(threadKind, restored.state, posted(5, A))).toThrow(DomainError);
    expect(applyEvent(threadKind, restored.state, posted(99_999, A))[0].context.message_count).toBe(
      many.length + 1,
    );
  });

  it("counts error_rate samples across chunks from the rule's baseline", () => {
    const rule = {
      name: 'flaky',
      conditions: [{ type: 'error_rate' as const, threshold: 0.5, min_samples: 4 }],
      actions: [{ type: 'notify_human' as const }],
      priority: 1,
    };
    // Every other message of the first chunks is an error: the rate is 0.5 once there are 4 samples.
    const flaky = [
      created({ escalation_rules: [normalizeRule(rule)] }),
      joined(R),
      joined(Q),
      ...many.map((m, n) => (n % 2 === 0 ? { ...m, metadata: { error: true } } : m)),
    ];
    const state = stateOf(flaky.slice(0, -1));
    const { events } = decideAndApply(
      threadKind,
      state,
      cmd({ type: 'PostMessage', sender: A, content: 'ok' }),
      contextAtNow(),
    );
    expect(events.map((e) => e.type)).toEqual(['MessagePosted', 'ThreadEscalated']);
    expect(events[1]).toMatchObject({ rule: 'flaky', condition: 'error_rate' });
    expect((events[1] as ThreadEscalated).reason).toContain(`error rate ${many.length / 2}/${many.length}`);
  });
});

describe('thread: RecordDecision', () => {
  it('records a decision with a fresh id', () => {
    const state = thread()
      .given(allActive)
      .when(
        cmd({
          type: 'RecordDecision',
          decision: 'Use REST',
          decided_by: [A, R, A],
          rationale: 'simple',
          confidence: 0.8,
        }),
      )
      .then([
        {
          type: 'DecisionRecorded',
          decision_id: id(1),
          decision: 'Use REST',
          decided_by: [A, R],
          rationale: 'simple',
          confidence: 0.8,
          decided_at: NOW,
        },
      ]);
    expect(threadKind.view(state).decisions).toEqual([
      {
        id: id(1),
        decision: 'Use REST',
        decided_by: [A, R],
        rationale: 'simple',
        confidence: 0.8,
        timestamp: NOW,
      },
    ]);
  });

  it('refuses deciders who are not participants, bad confidence, closed threads', () => {
    thread()
      .given(allActive)
      .when(cmd({ type: 'RecordDecision', decision: 'd', decided_by: [A, 'x'], confidence: 0.5 }))
      .thenThrows(Code.NotParticipant);
    thread()
      .given(allActive)
      .when(cmd({ type: 'RecordDecision', decision: 'd', decided_by: [A], confidence: 1.5 }))
      .thenThrows(Code.InvalidParameters);
    thread()
      .given([...allActive, closed()])
      .when(cmd({ type: 'RecordDecision', decision: 'd', decided_by: [A], confidence: 0.5 }))
      .thenThrows(Code.ThreadClosed);
  });
});

describe('thread: CastVote and consensus', () => {
  const withProposal = [...allActive, posted(1)];

  it('records a vote; the same stance again changes nothing; a changed stance replaces it', () => {
    thread()
      .given(withProposal)
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'disagree', comment: 'no' }))
      .then([
        { type: 'VoteCast', voter: R, proposal_id: 'm1', stance: 'disagree', comment: 'no', cast_at: NOW },
      ]);
    thread()
      .given([...withProposal, voted(R, 'm1', 'disagree')])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'disagree' }))
      .thenNothingHappened();
    const state = thread()
      .given([...withProposal, voted(R, 'm1', 'disagree')])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'abstain' }))
      .then([
        { type: 'VoteCast', voter: R, proposal_id: 'm1', stance: 'abstain', comment: null, cast_at: NOW },
      ]);
    expect(threadKind.view(state).votes).toEqual([
      { voter: R, proposal_id: 'm1', stance: 'abstain', comment: null, cast_at: NOW },
    ]);
  });

  it('votes on decisions too; unknown proposals are MESSAGE_NOT_FOUND, strangers NOT_PARTICIPANT', () => {
    const decision: ThreadEvent = {
      type: 'DecisionRecorded',
      decision_id: 'd1',
      decision: 'x',
      decided_by: [A],
      rationale: '',
      confidence: 1,
      decided_at: iso(T0 + 5000),
    };
    thread()
      .given([...allActive, decision])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'd1', stance: 'abstain' }))
      .then([expect.objectContaining({ type: 'VoteCast', proposal_id: 'd1' })]);
    thread()
      .given(withProposal)
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'nope', stance: 'agree' }))
      .thenThrows(Code.MessageNotFound);
    thread()
      .given(withProposal)
      .when(cmd({ type: 'CastVote', voter: 'x', proposal_id: 'm1', stance: 'agree' }))
      .thenThrows(Code.NotParticipant);
  });

  it('reaches consensus when agreeing active participants reach the threshold, and completes the thread', () => {
    const state = thread()
      .given([...withProposal, voted(A, 'm1', 'agree')])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'agree' }))
      .then([
        { type: 'VoteCast', voter: R, proposal_id: 'm1', stance: 'agree', comment: null, cast_at: NOW },
        {
          type: 'ConsensusReached',
          proposal_id: 'm1',
          agreeing: [A, R],
          active_participants: 3,
          threshold: 0.66,
          reached_at: NOW,
        },
        {
          type: 'ThreadClosed',
          stop_reason: 'consensus',
          closed_by: 'system',
          note: 'consensus on m1',
          closed_at: NOW,
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({
      status: 'completed',
      stop_reason: 'consensus',
      consensus: { proposal_id: 'm1', agreeing: [A, R] },
    });
  });

  it('needs the threshold: one of three is not consensus; invited participants do not count', () => {
    thread()
      .given(withProposal)
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'agree' }))
      .then([expect.objectContaining({ type: 'VoteCast' })]);
    // Only A and R active (Q still invited): R's vote makes R active, 2/2 agree.
    thread()
      .given([created(), posted(1), voted(A, 'm1', 'agree')])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'agree' }))
      .then([
        expect.objectContaining({ type: 'VoteCast' }),
        expect.objectContaining({ type: 'ConsensusReached', active_participants: 2 }),
        expect.objectContaining({ type: 'ThreadClosed', stop_reason: 'consensus' }),
      ]);
  });

  it('refuses votes on paused and closed threads', () => {
    const vote = cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'agree' });
    thread()
      .given([...withProposal, paused])
      .when(vote)
      .thenThrows(Code.InvalidTransition);
    thread()
      .given([...withProposal, closed()])
      .when(vote)
      .thenThrows(Code.ThreadClosed);
  });
});

describe('thread: disagreement_count escalation', () => {
  const disagreeing = [...allActive, posted(1), voted(R, 'm1', 'disagree'), voted(Q, 'm1', 'disagree')];
  const effectParams = {
    threadId: 't1',
    topic: 'API Design Review',
    escalationId: id(1),
    rule: 'Persistent Disagreement',
    condition: 'disagreement_count',
    reason: 'Persistent Disagreement: 3 disagreeing votes (threshold 3)',
    triggeredAt: NOW,
    priority: null,
    participants: [],
    threadParticipants: [A, R, Q],
  };

  it('escalates when a vote crosses the threshold, with the rule actions as effects', () => {
    const state = thread()
      .given(disagreeing)
      .when(cmd({ type: 'CastVote', voter: A, proposal_id: 'm1', stance: 'disagree' }))
      .then([
        { type: 'VoteCast', voter: A, proposal_id: 'm1', stance: 'disagree', comment: null, cast_at: NOW },
        {
          type: 'ThreadEscalated',
          escalation_id: id(1),
          rule: 'Persistent Disagreement',
          condition: 'disagreement_count',
          reason: 'Persistent Disagreement: 3 disagreeing votes (threshold 3)',
          triggered_at: NOW,
          actions: [{ type: 'create_decision_thread' }, { type: 'notify_human', target: 'project_manager' }],
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({
      status: 'escalated',
      escalation_history: [
        { id: id(1), thread_id: 't1', rule: 'Persistent Disagreement', resolved: false, resolution: null },
      ],
    });
    const { effects } = decideAndApply(
      threadKind,
      stateOf(disagreeing),
      cmd({ type: 'CastVote', voter: A, proposal_id: 'm1', stance: 'disagree' }),
      contextAtNow(),
    );
    expect(effects).toEqual([
      { type: 'create_decision_thread', params: { ...effectParams, target: null } },
      { type: 'notify_human', params: { ...effectParams, target: 'project_manager' } },
    ]);
  });

  it('does not fire the same rule again while it is unresolved', () => {
    thread()
      .given([...disagreeing, voted(A, 'm1', 'disagree'), escalated('Persistent Disagreement')])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm1', stance: 'agree' }))
      .then([expect.objectContaining({ type: 'VoteCast' })]);
    thread()
      .given([...disagreeing, voted(A, 'm1', 'disagree'), escalated('Persistent Disagreement'), posted(2)])
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm2', stance: 'disagree' }))
      .then([expect.objectContaining({ type: 'VoteCast' })]);
  });

  it('counts afresh after the escalation is resolved', () => {
    const resolved: ThreadEvent = {
      type: 'EscalationResolved',
      escalation_id: 'e1',
      rule: 'Persistent Disagreement',
      resolution: 'humans decided',
      resolved_by: 'pm',
      resolved_at: iso(T0 + minutes(45)),
    };
    const history = [
      ...disagreeing,
      voted(A, 'm1', 'disagree'),
      escalated('Persistent Disagreement'),
      resolved,
      posted(2),
    ];
    expect(viewOf(history).status).toBe('active');
    thread()
      .given(history)
      .when(cmd({ type: 'CastVote', voter: R, proposal_id: 'm2', stance: 'disagree' }))
      .then([expect.objectContaining({ type: 'VoteCast' })]);
  });

  it('counts only the timeframe when the condition has one', () => {
    const rule: EscalationRule = {
      name: 'Quick Fight',
      conditions: [{ type: 'disagreement_count', threshold: 2, timeframe: 600 }],
      actions: [{ type: 'notify_human' }],
      priority: 0,
    };
    const base = [created({ escalation_rules: [rule] }), joined(R), joined(Q), posted(1)];
    thread()
      .given([...base, voted(R, 'm1', 'disagree', SPEC_NOW - minutes(20))])
      .when(cmd({ type: 'CastVote', voter: Q, proposal_id: 'm1', stance: 'disagree' }))
      .then([expect.objectContaining({ type: 'VoteCast' })]);
    thread()
      .given([...base, voted(R, 'm1', 'disagree', SPEC_NOW - minutes(5))])
      .when(cmd({ type: 'CastVote', voter: Q, proposal_id: 'm1', stance: 'disagree' }))
      .then([
        expect.objectContaining({ type: 'VoteCast' }),
        expect.objectContaining({
          type: 'ThreadEscalated',
          rule: 'Quick Fight',
          reason: 'Quick Fight: 2 disagreeing votes in the last 600s (threshold 2)',
        }),
      ]);
  });
});

describe('thread: error_rate escalation and ReportError', () => {
  const rule: EscalationRule = {
    name: 'Errors',
    conditions: [{ type: 'error_rate', threshold: 0.5, min_samples: 4 }],
    actions: [{ type: 'request_expert', participants: ['security-001'] }],
    priority: 0,
  };
  const base = [
    created({ escalation_rules: [rule] }),
    posted(1),
    posted(2, A, { metadata: { error: true } }),
    posted(3),
  ];

  it('escalates when messages flagged as errors reach the rate', () => {
    const state = thread()
      .given(base)
      .when(cmd({ type: 'PostMessage', sender: A, content: 'failed again', metadata: { error: true } }))
      .then([
        expect.objectContaining({ type: 'MessagePosted', message_id: id(1) }),
        {
          type: 'ThreadEscalated',
          escalation_id: id(2),
          rule: 'Errors',
          condition: 'error_rate',
          reason: 'Errors: error rate 2/4 reached threshold 0.5',
          triggered_at: NOW,
          actions: [{ type: 'request_expert', participants: ['security-001'] }],
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({ status: 'escalated', error_count: 2 });
  });

  it('waits for the minimum number of samples and the threshold', () => {
    thread()
      .given(base)
      .when(cmd({ type: 'PostMessage', sender: A, content: 'fine' }))
      .then([expect.objectContaining({ type: 'MessagePosted' })]);
    thread()
      .given([created({ escalation_rules: [rule] }), posted(1, A, { metadata: { error: true } })])
      .when(cmd({ type: 'PostMessage', sender: A, content: 'x', metadata: { error: true } }))
      .then([expect.objectContaining({ type: 'MessagePosted' })]);
  });

  it('ReportError flags a message once and escalates when the rate is reached', () => {
    thread()
      .given(base)
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', message_id: 'm3', error: 'tool failed' }))
      .then([
        {
          type: 'ErrorReported',
          error_id: id(1),
          message_id: 'm3',
          reported_by: 'runtime',
          error: 'tool failed',
          reported_at: NOW,
        },
      ]);
    thread()
      .given(base)
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', message_id: 'm2', error: 'again' }))
      .thenNothingHappened();
    thread()
      .given(base)
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', message_id: 'm9', error: 'x' }))
      .thenThrows(Code.MessageNotFound);
    thread()
      .given([...base, posted(4)])
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', message_id: 'm4', error: 'bad output' }))
      .then([
        expect.objectContaining({ type: 'ErrorReported', message_id: 'm4' }),
        expect.objectContaining({ type: 'ThreadEscalated', rule: 'Errors', escalation_id: id(2) }),
      ]);
  });

  it('an error without a message counts as a failed turn of its own', () => {
    thread()
      .given(base)
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', error: 'LLM call failed' }))
      .then([
        {
          type: 'ErrorReported',
          error_id: id(1),
          message_id: null,
          reported_by: 'runtime',
          error: 'LLM call failed',
          reported_at: NOW,
        },
        expect.objectContaining({
          type: 'ThreadEscalated',
          reason: 'Errors: error rate 2/4 reached threshold 0.5',
        }),
      ]);
    thread()
      .given([...base, closed()])
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', error: 'late' }))
      .thenThrows(Code.ThreadClosed);
  });

  it('records errors while paused and escalates on resume', () => {
    const errorAlone: ThreadEvent = {
      type: 'ErrorReported',
      error_id: 'x1',
      message_id: null,
      reported_by: 'runtime',
      error: 'boom',
      reported_at: iso(T0 + minutes(25)),
    };
    thread()
      .given([...base, paused])
      .when(cmd({ type: 'ReportError', reported_by: 'runtime', error: 'boom' }))
      .then([expect.objectContaining({ type: 'ErrorReported' })]);
    thread()
      .given([...base, paused, errorAlone])
      .when(cmd({ type: 'ResumeThread', resumed_by: A }))
      .then([
        { type: 'ThreadResumed', resumed_by: A, resumed_at: NOW },
        expect.objectContaining({ type: 'ThreadEscalated', rule: 'Errors' }),
      ]);
  });
});

describe('thread: pause, resume, resolve', () => {
  it('pauses and resumes; repeating either changes nothing', () => {
    const state = thread()
      .given([created()])
      .when(cmd({ type: 'PauseThread', paused_by: A, reason: 'waiting for input' }))
      .then([{ type: 'ThreadPaused', paused_by: A, reason: 'waiting for input', paused_at: NOW }]);
    expect(threadKind.view(state)).toMatchObject({
      status: 'paused',
      paused: { paused_by: A, reason: 'waiting for input' },
    });
    thread()
      .given([created(), paused])
      .when(cmd({ type: 'PauseThread', paused_by: A }))
      .thenNothingHappened();
    thread()
      .given([created(), paused])
      .when(cmd({ type: 'ResumeThread', resumed_by: R }))
      .then([{ type: 'ThreadResumed', resumed_by: R, resumed_at: NOW }]);
    thread()
      .given([created()])
      .when(cmd({ type: 'ResumeThread', resumed_by: R }))
      .thenNothingHappened();
    thread()
      .given([created(), closed()])
      .when(cmd({ type: 'PauseThread', paused_by: A }))
      .thenThrows(Code.ThreadClosed);
  });

  it('resumes into escalated while an escalation is open', () => {
    const history = [created(), escalated('Long Running Thread'), paused];
    expect(viewOf(history).status).toBe('paused');
    const state = thread()
      .given(history)
      .when(cmd({ type: 'ResumeThread', resumed_by: A }))
      .then([{ type: 'ThreadResumed', resumed_by: A, resumed_at: NOW }]);
    expect(threadKind.view(state).status).toBe('escalated');
  });

  it('resolves an escalation: back to active when none is left open', () => {
    const resolve = cmd({
      type: 'ResolveEscalation',
      escalation_id: 'e1',
      resolution: 'extended deadline',
      resolved_by: 'pm',
    });
    const state = thread()
      .given([created(), escalated('Long Running Thread')])
      .when(resolve)
      .then([
        {
          type: 'EscalationResolved',
          escalation_id: 'e1',
          rule: 'Long Running Thread',
          resolution: 'extended deadline',
          resolved_by: 'pm',
          resolved_at: NOW,
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({
      status: 'active',
      escalation_history: [
        { id: 'e1', resolved: true, resolution: 'extended deadline', resolved_by: 'pm', resolved_at: NOW },
      ],
    });
    const two = [created(), escalated('Long Running Thread'), escalated('High Error Rate', 'e2')];
    const stillEscalated = thread()
      .given(two)
      .when(resolve)
      .then([expect.objectContaining({ type: 'EscalationResolved' })]);
    expect(threadKind.view(stillEscalated).status).toBe('escalated');
  });

  it('refuses unknown escalations; resolving twice changes nothing; late resolution of a closed thread is kept', () => {
    const resolve = cmd({
      type: 'ResolveEscalation',
      escalation_id: 'e1',
      resolution: 'ok',
      resolved_by: 'pm',
    });
    thread()
      .given([created()])
      .when(resolve)
      .thenThrows(Code.InvalidParameters, /no escalation e1/);
    const resolved: ThreadEvent = {
      type: 'EscalationResolved',
      escalation_id: 'e1',
      rule: 'Long Running Thread',
      resolution: 'ok',
      resolved_by: 'pm',
      resolved_at: iso(T0 + minutes(45)),
    };
    thread()
      .given([created(), escalated('Long Running Thread'), resolved])
      .when(resolve)
      .thenNothingHappened();
    const state = thread()
      .given([created(), escalated('Long Running Thread'), closed()])
      .when(resolve)
      .then([expect.objectContaining({ type: 'EscalationResolved' })]);
    expect(threadKind.view(state).status).toBe('closed');
  });
});

describe('thread: summaries and closing', () => {
  it('requests a summary from the summarize_thread effect, on open and closed threads', () => {
    for (const history of [
      [created(), posted(1)],
      [created(), posted(1), closed()],
    ]) {
      const { events, effects } = decideAndApply(
        threadKind,
        stateOf(history),
        cmd({ type: 'RequestSummary', requested_by: A }),
        contextAtNow(),
      );
      expect(events).toEqual([
        { type: 'SummaryRequested', request_id: id(1), requested_by: A, message_count: 1, requested_at: NOW },
      ]);
      expect(effects).toEqual([
        {
          type: 'summarize_thread',
          params: {
            threadId: 't1',
            topic: 'API Design Review',
            requestId: id(1),
            requestedBy: A,
            messageCount: 1,
          },
        },
      ]);
    }
  });

  it('records a summary, also after closing; the same summary again changes nothing', () => {
    const summarize = cmd({
      type: 'SummarizeThread',
      summary: 'We chose REST.',
      summarized_by: 'llm',
      request_id: 'r1',
    });
    const state = thread()
      .given([created(), posted(1), closed()])
      .when(summarize)
      .then([
        {
          type: 'ThreadSummarized',
          summary: 'We chose REST.',
          summarized_by: 'llm',
          request_id: 'r1',
          message_count: 1,
          summarized_at: NOW,
        },
      ]);
    expect(threadKind.view(state)).toMatchObject({
      summary: 'We chose REST.',
      summarized_at: NOW,
      status: 'closed',
    });
    const done: ThreadEvent = {
      type: 'ThreadSummarized',
      summary: 'We chose REST.',
      summarized_by: 'llm',
      request_id: null,
      message_count: 1,
      summarized_at: iso(T0 + minutes(55)),
    };
    thread()
      .given([created(), posted(1), done])
      .when(summarize)
      .thenNothingHappened();
  });

  it('closes with an explicit stop reason; closing again changes nothing', () => {
    for (const stop_reason of ['escalated', 'budget', 'closed', 'max_rounds'] as const) {
      const state = thread()
        .given([created()])
        .when(cmd({ type: 'CloseThread', closed_by: 'pm', stop_reason, note: 'enough' }))
        .then([{ type: 'ThreadClosed', stop_reason, closed_by: 'pm', note: 'enough', closed_at: NOW }]);
      expect(threadKind.view(state)).toMatchObject({
        status: 'closed',
        stop_reason,
        closed_at: NOW,
        close_note: 'enough',
      });
    }
    const completed = thread()
      .given([created(), paused])
      .when(cmd({ type: 'CloseThread', closed_by: A, stop_reason: 'consensus' }))
      .then([{ type: 'ThreadClosed', stop_reason: 'consensus', closed_by: A, note: null, closed_at: NOW }]);
    expect(threadKind.view(completed).status).toBe('completed');
    thread()
      .given([created(), closed()])
      .when(cmd({ type: 'CloseThread', closed_by: A, stop_reason: 'budget' }))
      .thenNothingHappened();
    thread()
      .given([created()])
      .when(cmd({ type: 'CloseThread', closed_by: A, stop_reason: 'bored' as 'closed' }))
      .thenThrows(Code.InvalidParameters);
  });
});

describe('thread: escalation deadlines', () => {
  // Plain copies: a deadline's event is a getter (built when it fires), which toEqual would not read.
  const deadlinesOf = (history: ThreadEvent[]) =>
    (threadKind.deadlines?.(stateOf(history)) ?? []).map(({ key, dueAt, event }) => ({ key, dueAt, event }));
  const longRunning = RULES.find((rule) => rule.name === 'Long Running Thread');
  const deadlineEvent = (condition: 'thread_duration' | 'no_progress', dueAt: number, reason: string) => ({
    type: 'ThreadEscalated',
    escalation_id: `t1:Long Running Thread:${condition}@${iso(dueAt)}`,
    rule: 'Long Running Thread',
    condition,
    reason: `Long Running Thread: ${reason}`,
    triggered_at: iso(dueAt),
    actions: longRunning?.actions,
  });

  it('arms thread_duration at creation + threshold and no_progress at last progress + timeframe', () => {
    expect(deadlinesOf([created()])).toEqual([
      {
        key: 'escalation:Long Running Thread:thread_duration',
        dueAt: T0 + 7_200_000,
        event: deadlineEvent(
          'thread_duration',
          T0 + 7_200_000,
          'thread has been open for 7200s without resolution',
        ),
      },
      {
        key: 'escalation:Long Running Thread:no_progress',
        dueAt: T0 + 1_800_000,
        event: deadlineEvent(
          'no_progress',
          T0 + 1_800_000,
          'no progress (message, decision or vote) for 1800s',
        ),
      },
    ]);
  });

  it('moves no_progress with each message or vote; joins do not count; thread_duration stays', () => {
    const dueAts = (history: ThreadEvent[]) =>
      deadlinesOf(history).map((d) => [d.key.split(':')[2], d.dueAt]);
    expect(dueAts([created(), posted(10)])).toEqual([
      ['thread_duration', T0 + 7_200_000],
      ['no_progress', T0 + minutes(10) + 1_800_000],
    ]);
    expect(dueAts([created(), posted(10), voted(A, 'm1', 'abstain', T0 + minutes(15))])).toContainEqual([
      'no_progress',
      T0 + minutes(15) + 1_800_000,
    ]);
    expect(dueAts([created(), posted(10), joined(R, T0 + minutes(20))])).toContainEqual([
      'no_progress',
      T0 + minutes(40),
    ]);
  });

  it('arms none while paused or closed, and none for a rule whose escalation is open', () => {
    expect(deadlinesOf([created(), paused])).toEqual([]);
    expect(deadlinesOf([created(), closed()])).toEqual([]);
    expect(deadlinesOf([created(), escalated('Long Running Thread')])).toEqual([]);
    // Another rule's escalation leaves Long Running Thread armed.
    expect(deadlinesOf([created(), escalated('Persistent Disagreement')])).toHaveLength(2);
    // Resuming counts as progress.
    const resumed: ThreadEvent = { type: 'ThreadResumed', resumed_by: A, resumed_at: iso(T0 + minutes(30)) };
    expect(deadlinesOf([created(), paused, resumed]).map((d) => d.dueAt)).toEqual([
      T0 + 7_200_000,
      T0 + minutes(60),
    ]);
  });

  it('a fired deadline escalates with the rule actions as effects; the rule arms again from its resolution', () => {
    const state = stateOf([created()]);
    const noProgress = threadKind.deadlines?.(state)[1] as { event: ThreadEscalated } | undefined;
    if (!noProgress) throw new Error('no deadline');
    const [after, effects] = applyEvent(threadKind, state, noProgress.event);
    expect(threadKind.view(after)).toMatchObject({
      status: 'escalated',
      escalation_history: [{ resolved: false }],
    });
    expect(effects.map((effect) => [effect.type, (effect.params as { target: string }).target])).toEqual([
      ['notify_human', 'project_manager'],
      ['escalate_to_architect', 'senior_architect'],
    ]);
    expect(threadKind.deadlines?.(after)).toEqual([]);
    // A stale deadline of the same rule is refused by the machine.
    expect(() => applyEvent(threadKind, after, { ...noProgress.event, escalation_id: 'other' })).toThrow(
      /cannot take/,
    );
    const resolvedAt = T0 + minutes(45);
    const resolved: ThreadEvent = {
      type: 'EscalationResolved',
      escalation_id: noProgress.event.escalation_id,
      rule: 'Long Running Thread',
      resolution: 'carry on',
      resolved_by: 'pm',
      resolved_at: iso(resolvedAt),
    };
    const [reopened] = applyEvent(threadKind, after, resolved);
    expect(threadKind.deadlines?.(reopened).map((d) => d.dueAt)).toEqual([
      resolvedAt + 7_200_000,
      resolvedAt + 1_800_000,
    ]);
  });
});

describe('thread: properties', () => {
  const who = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(A, R, Q) },
    { weight: 1, arbitrary: fc.constant('outsider') },
  );
  /** `@n` refers to the n-th known message/decision/escalation id when the command runs. */
  const ref = fc.oneof(
    { weight: 6, arbitrary: fc.nat(6).map((n) => `@${n}`) },
    { weight: 1, arbitrary: fc.constant('missing') },
  );
  const maybeRef = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: ref });
  const touchy: EscalationRule[] = [
    {
      name: 'slow',
      conditions: [{ type: 'thread_duration', threshold: 5400 }],
      actions: [{ type: 'notify_human' }],
      priority: 0,
    },
    {
      name: 'stuck',
      conditions: [{ type: 'no_progress', threshold: true, timeframe: 1200 }],
      actions: [{ type: 'escalate_to_architect' }],
      priority: 1,
    },
    {
      name: 'fight',
      conditions: [{ type: 'disagreement_count', threshold: 2 }],
      actions: [{ type: 'create_decision_thread' }],
      priority: 2,
    },
    {
      name: 'errors',
      conditions: [{ type: 'error_rate', threshold: 0.3, min_samples: 2 }],
      actions: [{ type: 'request_expert' }],
      priority: 3,
    },
  ];
  const create = fc.record({
    type: fc.constant('CreateThread' as const),
    topic: fc.constant('topic'),
    participants: fc.subarray([A, R, Q], { minLength: 1 }),
    creator: who,
    max_rounds: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    escalation_rules: fc.constantFrom(undefined, touchy),
    consensus_threshold: fc.constantFrom(0.5, 0.66, 1),
  });
  const often = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 5, arbitrary });
  const command: fc.Arbitrary<ThreadCommandInput> = fc.oneof(
    create,
    fc.record({
      type: fc.constant('InviteParticipants' as const),
      invited_by: who,
      participants: fc.array(who, { minLength: 1, maxLength: 3 }),
    }),
    often(fc.record({ type: fc.constant('JoinThread' as const), participant_id: who })),
    fc.record({ type: fc.constant('LeaveThread' as const), participant_id: who }),
    fc.record({ type: fc.constant('MarkParticipantIdle' as const), participant_id: who }),
    often(
      fc.record({
        type: fc.constant('PostMessage' as const),
        sender: who,
        content: fc.constantFrom('hi', 'code', '?'),
        message_type: fc.constantFrom('text', 'code', 'question' as const),
        reply_to: maybeRef,
        metadata: fc.constantFrom({}, {}, { error: true }),
      }),
    ),
    fc.record({
      type: fc.constant('RecordDecision' as const),
      decision: fc.constant('do it'),
      decided_by: fc.array(who, { minLength: 1, maxLength: 2 }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    often(
      fc.record({
        type: fc.constant('CastVote' as const),
        voter: who,
        proposal_id: ref,
        stance: fc.constantFrom('agree', 'disagree', 'abstain' as const),
      }),
    ),
    fc.record({
      type: fc.constant('ReportError' as const),
      reported_by: who,
      message_id: maybeRef,
      error: fc.constant('boom'),
    }),
    fc.record({ type: fc.constant('PauseThread' as const), paused_by: who }),
    fc.record({ type: fc.constant('ResumeThread' as const), resumed_by: who }),
    fc.record({
      type: fc.constant('ResolveEscalation' as const),
      escalation_id: ref,
      resolution: fc.constant('ok'),
      resolved_by: who,
    }),
    fc.record({ type: fc.constant('RequestSummary' as const), requested_by: who }),
    fc.record({
      type: fc.constant('SummarizeThread' as const),
      summary: fc.constantFrom('s1', 's2'),
      summarized_by: who,
    }),
    fc.record({
      type: fc.constant('CloseThread' as const),
      closed_by: who,
      stop_reason: fc.constantFrom('closed', 'budget', 'consensus' as const),
    }),
  );
  const step = fc.record({
    dt: fc.integer({ min: 0, max: 3_600_000 }),
    /** Fire due deadlines before the command, as the runtime would. */
    tick: fc.boolean(),
    command,
  });
  /** Most histories start with a creation; some never do. */
  const history = fc
    .tuple(fc.option(create, { freq: 8 }), fc.array(step, { maxLength: 40 }))
    .map(([first, steps]) =>
      first ? [{ dt: 0, tick: false, command: first as ThreadCommandInput }, ...steps] : steps,
    );

  /** Replaces `@n` references by ids the thread knows. */
  const resolveRefs = (cmd: ThreadCommandInput, state: ReturnType<typeof stateOf>): ThreadCommandInput => {
    const c = state.context;
    const proposals = [
      ...c.turns.flat().flatMap((t) => (t.message_id ? [t.message_id] : [])),
      ...c.decisions.map((d) => d.decision_id),
    ];
    const escalations = c.escalations.map((e) => e.escalation_id);
    const pick = (value: string | undefined, from: string[]) =>
      value?.startsWith('@') ? (from[Number(value.slice(1)) % Math.max(1, from.length)] ?? 'none') : value;
    const out = { ...cmd } as Record<string, unknown>;
    for (const key of ['reply_to', 'message_id', 'proposal_id'] as const) {
      if (typeof out[key] === 'string') out[key] = pick(out[key] as string, proposals);
    }
    if (typeof out.escalation_id === 'string') out.escalation_id = pick(out.escalation_id, escalations);
    return out as ThreadCommandInput;
  };

  it('decide throws only DomainErrors, events are JSON, and replaying them gives the same state', () => {
    fc.assert(
      fc.property(history, (steps) => {
        let state = initialState(threadKind, 't1');
        let now = T0;
        let counter = 0;
        const log: ThreadEvent[] = [];
        for (const { dt, tick, command: template } of steps) {
          now += dt;
          if (tick) {
            for (const deadline of threadKind.deadlines?.(state) ?? []) {
              const current = threadKind.deadlines?.(state).find((d) => d.key === deadline.key);
              if (!current || current.dueAt > now) continue;
              const [after, effects] = applyEvent(threadKind, state, current.event);
              expect(effects.length).toBeGreaterThan(0);
              state = after;
              log.push(current.event);
            }
          }
          const context = { actorId: 't1', now, newId: () => `id-${++counter}` };
          try {
            const outcome = decideAndApply(threadKind, state, resolveRefs(template, state), context);
            state = outcome.state;
            log.push(...outcome.events);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
        }
        for (const event of log) expect(whyNotJson(event)).toBeUndefined();
        let replayed = initialState(threadKind, 't1');
        for (const event of JSON.parse(JSON.stringify(log)) as ThreadEvent[])
          replayed = applyEvent(threadKind, replayed, event)[0];
        expect(replayed.value).toEqual(state.value);
        expect(threadKind.view(replayed)).toEqual(threadKind.view(state));
        expect(threadKind.deadlines?.(replayed)).toEqual(threadKind.deadlines?.(state));
      }),
      { numRuns: 300 },
    );
  });
});
