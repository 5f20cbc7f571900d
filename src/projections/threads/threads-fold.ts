import { flagsError } from '../../actors/thread/thread-event-time.js';
import type { ThreadCreated, ThreadEvent } from '../../actors/thread/thread-events.js';
import type { ThreadStatus } from '../../actors/thread/thread-view.js';
import type { ThreadState } from './thread-states.js';
import type { ParticipantRow, ThreadRow, ThreadStatements } from './threads-schema.js';

/**
 * How the threads view folds a thread's events, as the thread machine does
 * (src/actors/thread/thread-fold.ts): into the thread's state in memory (its row, written at flush, and
 * its participants) and the side tables (participants, messages, decisions, votes, escalations), which
 * are written at once.
 */

/** The seed's status, as `threadStatus` derives it from the machine's state. */
export function statusOf(row: ThreadRow): ThreadStatus {
  if (row.closed_at !== null) return row.stop_reason === 'consensus' ? 'completed' : 'closed';
  if (row.paused_at !== null) return 'paused';
  return row.open_escalations > 0 ? 'escalated' : 'active';
}

/** Inserts the participants of a new thread; its row is written at flush. */
export function createThread(
  statements: ThreadStatements,
  id: string,
  event: ThreadCreated,
  revision: number,
): ThreadState {
  const at = event.created_at;
  const participants = new Map<string, ParticipantRow>();
  event.participants.forEach((agent_id, ordinal) => {
    const creator = agent_id === event.creator;
    const participant: ParticipantRow = {
      thread_id: id,
      agent_id,
      ordinal,
      status: creator ? 'active' : 'invited',
      invited_at: creator ? null : at,
      joined_at: creator ? at : null,
      left_at: null,
    };
    statements.saveParticipant.run(participant);
    participants.set(agent_id, participant);
  });
  const row: ThreadRow = {
    id,
    revision,
    topic: event.topic,
    creator: event.creator,
    status: 'active',
    stop_reason: null,
    project: event.project,
    task: event.task,
    metadata: JSON.stringify(event.metadata),
    escalation_rules: JSON.stringify(event.escalation_rules),
    consensus_threshold: event.consensus_threshold,
    max_rounds: event.max_rounds,
    created_at: at,
    last_activity: at,
    message_count: 0,
    error_count: 0,
    participants: memberIds(participants),
    open_escalations: 0,
    consensus: 0,
    consensus_record: null,
    summary: null,
    summarized_at: null,
    pending_summary_request: null,
    paused_by: null,
    pause_reason: null,
    paused_at: null,
    closed_by: null,
    close_note: null,
    closed_at: null,
  };
  return { row, participants };
}

/** Folds one event (not ThreadCreated) into the thread and the side tables. */
export function evolveThread(
  statements: ThreadStatements,
  state: ThreadState,
  event: ThreadEvent,
  revision: number,
): void {
  const row = state.row;
  const thread_id = row.id;
  const at = row.last_activity;
  switch (event.type) {
    case 'ParticipantInvited':
      return participant(statements, state, event.participant_id, invite);
    case 'ParticipantJoined':
      return participant(statements, state, event.participant_id, join);
    case 'ParticipantLeft':
      return participant(statements, state, event.participant_id, leave);
    case 'ParticipantWentIdle':
      return participant(statements, state, event.participant_id, goIdle);
    case 'MessagePosted': {
      participant(statements, state, event.sender, activate);
      row.message_count += 1;
      const error = flagsError(event.metadata) ? 1 : 0;
      row.error_count += error;
      statements.insertMessage.run(
        thread_id,
        row.message_count,
        event.message_id,
        event.sender,
        event.content,
        event.message_type,
        event.reply_to,
        JSON.stringify(event.metadata),
        error,
        event.posted_at,
      );
      return;
    }
    case 'DecisionRecorded':
      statements.insertDecision.run({
        thread_id,
        decision_id: event.decision_id,
        revision,
        decision: event.decision,
        decided_by: JSON.stringify(event.decided_by),
        rationale: event.rationale,
        confidence: event.confidence,
        decided_at: event.decided_at,
      });
      return;
    case 'VoteCast':
      participant(statements, state, event.voter, activate);
      statements.saveVote.run({
        thread_id,
        proposal_id: event.proposal_id,
        voter: event.voter,
        revision,
        stance: event.stance,
        comment: event.comment,
        cast_at: event.cast_at,
      });
      return;
    case 'ConsensusReached': {
      const { type: _, ...consensus } = event;
      row.consensus = 1;
      row.consensus_record = JSON.stringify(consensus);
      return;
    }
    case 'ErrorReported':
      // An error about a message counts once, however often it is reported.
      if (event.message_id === null || statements.flagMessage.run(thread_id, event.message_id).changes > 0)
        row.error_count += 1;
      return;
    case 'ThreadPaused':
      Object.assign(row, { paused_by: event.paused_by, pause_reason: event.reason, paused_at: at });
      return;
    case 'ThreadResumed':
      Object.assign(row, { paused_by: null, pause_reason: null, paused_at: null });
      return;
    case 'ThreadEscalated':
      statements.insertEscalation.run({
        thread_id,
        id: event.escalation_id,
        revision,
        rule: event.rule,
        condition: event.condition,
        reason: event.reason,
        triggered_at: event.triggered_at,
        actions: JSON.stringify(event.actions),
        resolved: 0,
        resolution: null,
        resolved_by: null,
        resolved_at: null,
      });
      row.open_escalations += 1;
      return;
    case 'EscalationResolved': {
      const { resolution, resolved_by, escalation_id } = event;
      if (statements.resolveEscalation.run(resolution, resolved_by, at, thread_id, escalation_id).changes > 0)
        row.open_escalations -= 1;
      return;
    }
    case 'SummaryRequested':
      row.pending_summary_request = event.request_id;
      return;
    case 'ThreadSummarized':
      Object.assign(row, { summary: event.summary, summarized_at: at, pending_summary_request: null });
      return;
    case 'ThreadClosed':
      Object.assign(row, {
        stop_reason: event.stop_reason,
        closed_by: event.closed_by,
        close_note: event.note,
        closed_at: at,
      });
      return;
    case 'ThreadCreated':
      return;
  }
}

/** A change of one participant, at the time of the event. */
type ParticipantChange = (p: ParticipantRow, at: string) => void;

const invite: ParticipantChange = (p, at) => {
  Object.assign(p, { status: 'invited', invited_at: at, left_at: null });
};
const join: ParticipantChange = (p, at) => {
  const keep = p.status === 'idle' && p.joined_at !== null;
  Object.assign(p, { status: 'active', joined_at: keep ? p.joined_at : at, left_at: null });
};
const leave: ParticipantChange = (p, at) => {
  Object.assign(p, { status: 'left', left_at: at });
};
const goIdle: ParticipantChange = (p) => {
  p.status = 'idle';
};
/** Invited and idle participants become active when they post or vote. */
const activate: ParticipantChange = (p, at) => {
  if (p.status !== 'invited' && p.status !== 'idle') return;
  p.status = 'active';
  p.joined_at ??= at;
};

/**
 * Applies a change to a participant (one the thread did not know joins it, invited): a changed
 * participant is saved and the thread's member list follows. Participants shared with the committed
 * thread are never changed in place: the changed one is a copy, in a copy of the map.
 */
function participant(
  statements: ThreadStatements,
  state: ThreadState,
  agentId: string,
  change: ParticipantChange,
): void {
  const known = state.participants.get(agentId);
  const p: ParticipantRow = known
    ? { ...known }
    : {
        thread_id: state.row.id,
        agent_id: agentId,
        ordinal: nextOrdinal(state.participants),
        status: 'invited',
        invited_at: null,
        joined_at: null,
        left_at: null,
      };
  change(p, state.row.last_activity);
  if (known && sameParticipant(known, p)) return;
  statements.saveParticipant.run(p);
  state.participants = new Map(state.participants).set(agentId, p);
  state.row.participants = memberIds(state.participants);
}

/** JSON array of the ids of the participants who have not left, in the order they came. */
export function memberIds(participants: ReadonlyMap<string, ParticipantRow>): string {
  const members = [...participants.values()].filter((p) => p.status !== 'left');
  members.sort((a, b) => a.ordinal - b.ordinal);
  return JSON.stringify(members.map((p) => p.agent_id));
}

/** The ordinal of a participant who joins now: after every other one. */
function nextOrdinal(participants: ReadonlyMap<string, ParticipantRow>): number {
  let next = 0;
  for (const p of participants.values()) if (p.ordinal >= next) next = p.ordinal + 1;
  return next;
}

/** Whether a participant's row is unchanged. */
function sameParticipant(a: ParticipantRow, b: ParticipantRow): boolean {
  return (
    a.ordinal === b.ordinal &&
    a.status === b.status &&
    a.invited_at === b.invited_at &&
    a.joined_at === b.joined_at &&
    a.left_at === b.left_at
  );
}
