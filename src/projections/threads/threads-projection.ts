import { eventTime, flagsError } from '../../actors/thread/thread-event-time.js';
import type { ThreadCreated, ThreadEvent, ThreadEventType } from '../../actors/thread/thread-events.js';
import type { ThreadStatus } from '../../actors/thread/thread-view.js';
import type { RecordedEvent } from '../../events/types.js';
import type { ProjectionDefinition } from '../projection.js';
import {
  type ParticipantRow,
  prepareThreadStatements,
  type ThreadRow,
  type ThreadStatements,
} from './threads-schema.js';

const THREAD_STREAM = 'thread-';

/** Every thread event: each one moves `last_activity`, as the thread machine's fold does. */
export const THREAD_EVENT_TYPES: readonly ThreadEventType[] = [
  'ThreadCreated',
  'ParticipantInvited',
  'ParticipantJoined',
  'ParticipantLeft',
  'ParticipantWentIdle',
  'MessagePosted',
  'DecisionRecorded',
  'VoteCast',
  'ConsensusReached',
  'ErrorReported',
  'ThreadPaused',
  'ThreadResumed',
  'ThreadEscalated',
  'EscalationResolved',
  'SummaryRequested',
  'ThreadSummarized',
  'ThreadClosed',
];

/**
 * The threads view: threads listed by status, participant, project and activity, with every message
 * (the thread actor keeps only the last 50), decisions, votes and escalations. It folds the same events
 * the thread machine accepted, the same way (src/actors/thread/thread-fold.ts), so `getThread` answers
 * what the actor's view says, without the messages.
 */
export const threadsProjection: ProjectionDefinition = {
  name: 'threads',
  version: 1,
  eventTypes: THREAD_EVENT_TYPES,
  open(db) {
    const statements = prepareThreadStatements(db);
    // Thread rows changed in the current batch: each is written once, at flush (a busy thread's row
    // would otherwise be read and rewritten, with all its indexes, for every message).
    const changed = new Map<string, ThreadRow>();
    const load = (id: string) => changed.get(id) ?? statements.getThread.get(id);
    return {
      reset() {
        changed.clear();
        statements.reset();
      },
      apply(event) {
        if (!event.stream.startsWith(THREAD_STREAM)) return;
        const id = event.stream.slice(THREAD_STREAM.length);
        const data = { ...(event.data as object), type: event.type } as ThreadEvent;
        if (data.type === 'ThreadCreated') {
          if (load(id)) return;
          create(statements, id, data, event);
          return;
        }
        const row = load(id);
        // A thread whose creation this view never saw (a truncated stream) stays out of it.
        if (!row || event.revision <= row.revision) return;
        row.revision = event.revision;
        row.last_activity = eventTime(data);
        evolve(statements, row, data, event.revision);
        row.status = statusOf(row);
        changed.set(id, row);
      },
      flush() {
        for (const row of changed.values()) statements.saveThread.run(row);
        changed.clear();
      },
    };
  },
};

/** The seed's status, as `threadStatus` derives it from the machine's state. */
function statusOf(row: ThreadRow): ThreadStatus {
  if (row.closed_at !== null) return row.stop_reason === 'consensus' ? 'completed' : 'closed';
  if (row.paused_at !== null) return 'paused';
  return row.open_escalations > 0 ? 'escalated' : 'active';
}

function create(
  statements: ThreadStatements,
  id: string,
  event: ThreadCreated,
  recorded: RecordedEvent,
): void {
  const at = event.created_at;
  event.participants.forEach((agent_id, ordinal) => {
    const creator = agent_id === event.creator;
    statements.saveParticipant.run({
      thread_id: id,
      agent_id,
      ordinal,
      status: creator ? 'active' : 'invited',
      invited_at: creator ? null : at,
      joined_at: creator ? at : null,
      left_at: null,
    });
  });
  statements.saveThread.run({
    id,
    revision: recorded.revision,
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
    participants: JSON.stringify(statements.memberIds.all(id)),
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
  });
}

/** Folds one event (not ThreadCreated) into the row and the side tables. */
function evolve(statements: ThreadStatements, row: ThreadRow, event: ThreadEvent, revision: number): void {
  const thread_id = row.id;
  const at = row.last_activity;
  const participant = (agentId: string, change: (p: ParticipantRow) => void) => {
    const known = statements.getParticipant.get(thread_id, agentId);
    const p = known ?? {
      thread_id,
      agent_id: agentId,
      ordinal: statements.nextOrdinal.get(thread_id)!.next,
      status: 'invited',
      invited_at: null,
      joined_at: null,
      left_at: null,
    };
    const before = known && JSON.stringify(known);
    change(p);
    if (before === JSON.stringify(p)) return;
    statements.saveParticipant.run(p);
    row.participants = JSON.stringify(statements.memberIds.all(thread_id));
  };
  /** Invited and idle participants become active when they post or vote. */
  const activate = (p: ParticipantRow) => {
    if (p.status !== 'invited' && p.status !== 'idle') return;
    p.status = 'active';
    p.joined_at ??= at;
  };
  switch (event.type) {
    case 'ParticipantInvited':
      return participant(event.participant_id, (p) => {
        Object.assign(p, { status: 'invited', invited_at: at, left_at: null });
      });
    case 'ParticipantJoined':
      return participant(event.participant_id, (p) => {
        const keep = p.status === 'idle' && p.joined_at !== null;
        Object.assign(p, { status: 'active', joined_at: keep ? p.joined_at : at, left_at: null });
      });
    case 'ParticipantLeft':
      return participant(event.participant_id, (p) => Object.assign(p, { status: 'left', left_at: at }));
    case 'ParticipantWentIdle':
      return participant(event.participant_id, (p) => Object.assign(p, { status: 'idle' }));
    case 'MessagePosted': {
      participant(event.sender, activate);
      row.message_count += 1;
      const error = flagsError(event.metadata) ? 1 : 0;
      row.error_count += error;
      statements.insertMessage.run({
        thread_id,
        seq: row.message_count,
        message_id: event.message_id,
        sender: event.sender,
        content: event.content,
        message_type: event.message_type,
        reply_to: event.reply_to,
        metadata: JSON.stringify(event.metadata),
        error,
        posted_at: event.posted_at,
      });
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
      participant(event.voter, activate);
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
