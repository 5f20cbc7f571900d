import { activate, type Participant, RECENT_MESSAGE_LIMIT, type ThreadContext } from './thread-context.js';
import { eventTime, flagsError } from './thread-event-time.js';
import type { ThreadEvent } from './thread-events.js';
import { appendTurn, flagTurn, turnCount } from './thread-turns.js';

/**
 * The context after one event: a pure reducer the machine's `assign` calls for every accepted event.
 * Whether the event is accepted at all is the machine's business (states and guards), not this one's.
 */
export function foldThreadEvent(context: ThreadContext, event: ThreadEvent): ThreadContext {
  const at = eventTime(event);
  const next = { ...context, last_activity: at };
  switch (event.type) {
    case 'ThreadCreated':
      return {
        ...next,
        topic: event.topic,
        creator: event.creator,
        project: event.project,
        task: event.task,
        metadata: event.metadata,
        escalation_rules: event.escalation_rules,
        consensus_threshold: event.consensus_threshold,
        max_rounds: event.max_rounds,
        participants: event.participants.map((id) =>
          id === event.creator
            ? { id, status: 'active', invited_at: null, joined_at: at, left_at: null }
            : {
                id,
                status: 'invited',
                invited_at: at,
                joined_at: null,
                left_at: null,
              },
        ),
        created_at: at,
        last_progress: at,
      };
    case 'ParticipantInvited':
      return {
        ...next,
        participants: upsert(context.participants, event.participant_id, invited(at)),
      };
    case 'ParticipantJoined':
      return {
        ...next,
        participants: upsert(context.participants, event.participant_id, joined(at)),
      };
    case 'ParticipantLeft':
      return {
        ...next,
        participants: upsert(context.participants, event.participant_id, (p) => ({
          ...p,
          status: 'left',
          left_at: at,
        })),
      };
    case 'ParticipantWentIdle':
      return {
        ...next,
        participants: upsert(context.participants, event.participant_id, (p) => ({ ...p, status: 'idle' })),
      };
    case 'MessagePosted': {
      const { type: _, ...message } = event;
      return {
        ...next,
        participants: activate(context.participants, event.sender, at),
        message_count: context.message_count + 1,
        recent_messages: [...context.recent_messages, message].slice(-RECENT_MESSAGE_LIMIT),
        turns: appendTurn(context.turns, {
          message_id: event.message_id,
          at,
          error: flagsError(event.metadata),
        }),
        last_progress: at,
      };
    }
    case 'DecisionRecorded': {
      const { type: _, ...decision } = event;
      return {
        ...next,
        decisions: [...context.decisions, decision],
        last_progress: at,
      };
    }
    case 'VoteCast': {
      const { type: _, ...vote } = event;
      const others = context.votes.filter(
        (v) => v.voter !== vote.voter || v.proposal_id !== vote.proposal_id,
      );
      return {
        ...next,
        participants: activate(context.participants, event.voter, at),
        votes: [...others, vote],
        disagreements: vote.stance === 'disagree' ? [...context.disagreements, at] : context.disagreements,
        last_progress: at,
      };
    }
    case 'ConsensusReached': {
      const { type: _, ...consensus } = event;
      return { ...next, consensus };
    }
    case 'ErrorReported':
      return {
        ...next,
        turns:
          event.message_id === null
            ? appendTurn(context.turns, { message_id: null, at, error: true })
            : flagTurn(context.turns, event.message_id),
      };
    case 'ThreadPaused':
      return {
        ...next,
        pause: {
          paused_by: event.paused_by,
          reason: event.reason,
          paused_at: at,
        },
      };
    case 'ThreadResumed':
      return { ...next, pause: null, last_progress: at };
    case 'ThreadEscalated': {
      const { type: _, ...escalation } = event;
      const record = {
        ...escalation,
        resolved: false,
        resolution: null,
        resolved_by: null,
        resolved_at: null,
      };
      return {
        ...next,
        escalations: [...context.escalations, { ...record, baseline: null }],
      };
    }
    case 'EscalationResolved': {
      const baseline = {
        disagreements: context.disagreements.length,
        turns: turnCount(context.turns),
      };
      return {
        ...next,
        escalations: context.escalations.map((e) =>
          e.escalation_id === event.escalation_id
            ? {
                ...e,
                resolved: true,
                resolution: event.resolution,
                resolved_by: event.resolved_by,
                resolved_at: at,
                baseline,
              }
            : e,
        ),
      };
    }
    case 'SummaryRequested':
      return { ...next, pending_summary_request: event.request_id };
    case 'ThreadSummarized':
      return {
        ...next,
        summary: event.summary,
        summarized_at: at,
        summarized_by: event.summarized_by,
        pending_summary_request: null,
      };
    case 'ThreadClosed':
      return {
        ...next,
        closure: {
          stop_reason: event.stop_reason,
          closed_by: event.closed_by,
          note: event.note,
          closed_at: at,
        },
      };
  }
}

const invited =
  (at: string) =>
  (p: Participant): Participant => ({ ...p, status: 'invited', invited_at: at, left_at: null });

const joined =
  (at: string) =>
  (p: Participant): Participant => ({
    ...p,
    status: 'active',
    joined_at: p.status === 'idle' && p.joined_at !== null ? p.joined_at : at,
    left_at: null,
  });

/** Changes participant `id`, adding them first (with nothing recorded yet) when they are new. */
function upsert(
  participants: Participant[],
  id: string,
  change: (p: Participant) => Participant,
): Participant[] {
  const blank: Participant = {
    id,
    status: 'invited',
    invited_at: null,
    joined_at: null,
    left_at: null,
  };
  return participants.some((p) => p.id === id)
    ? participants.map((p) => (p.id === id ? change(p) : p))
    : [...participants, change(blank)];
}
