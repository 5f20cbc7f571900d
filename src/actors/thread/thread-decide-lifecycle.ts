import { type DecideContext, isoNow } from '../actor-kind.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import { normalizeRule } from './escalation-rules.js';
import type { ThreadCommandOf } from './thread-commands.js';
import { findEscalation, findParticipant, isMember } from './thread-context.js';
import type { ThreadEvent } from './thread-events.js';
import { requireMember, requireOpen, type ThreadOutcome, type ThreadState } from './thread-outcome.js';

/** Creates the thread: records the rules and thresholds in effect; the creator comes first. */
export function createThread(
  state: ThreadState,
  command: ThreadCommandOf<'CreateThread'>,
  context: DecideContext,
): ThreadEvent[] {
  if (!state.matches('new')) {
    // No THREAD_EXISTS code yet: creating again is a transition the thread cannot take.
    throw new DomainError(DomainErrorCode.InvalidTransition, `thread ${context.actorId} already exists`, {
      thread_id: context.actorId,
    });
  }
  const { topic, creator, consensus_threshold, metadata } = command;
  return [
    {
      type: 'ThreadCreated',
      thread_id: context.actorId,
      topic,
      creator,
      participants: [...new Set([creator, ...command.participants])],
      project: command.project ?? null,
      task: command.task ?? null,
      escalation_rules: command.escalation_rules.map(normalizeRule),
      consensus_threshold,
      max_rounds: command.max_rounds ?? null,
      metadata,
      created_at: isoNow(context),
    },
  ];
}

/** Invites whoever does not take part yet (again, if they left). The inviter is recorded, not checked. */
export function inviteParticipants(outcome: ThreadOutcome, command: ThreadCommandOf<'InviteParticipants'>) {
  requireOpen(outcome.state, 'participants');
  for (const participant_id of new Set(command.participants)) {
    if (isMember(outcome.context, participant_id)) continue;
    outcome.add({
      type: 'ParticipantInvited',
      participant_id,
      invited_by: command.invited_by,
      invited_at: outcome.at,
    });
  }
  return outcome.events;
}

export function joinThread(outcome: ThreadOutcome, { participant_id }: ThreadCommandOf<'JoinThread'>) {
  requireOpen(outcome.state, 'participants');
  if (findParticipant(outcome.context, participant_id)?.status === 'active') return [];
  return outcome.add({ type: 'ParticipantJoined', participant_id, joined_at: outcome.at }).events;
}

/** Leaving twice changes nothing (a retried command); leaving without ever taking part is NOT_PARTICIPANT. */
export function leaveThread(outcome: ThreadOutcome, command: ThreadCommandOf<'LeaveThread'>) {
  const { participant_id } = command;
  requireOpen(outcome.state, 'membership changes');
  if (findParticipant(outcome.context, participant_id)?.status === 'left') return [];
  requireMember(outcome.context, participant_id);
  const reason = command.reason ?? null;
  return outcome.add({ type: 'ParticipantLeft', participant_id, reason, left_at: outcome.at }).events;
}

export function markIdle(outcome: ThreadOutcome, { participant_id }: ThreadCommandOf<'MarkParticipantIdle'>) {
  requireOpen(outcome.state, 'membership changes');
  requireMember(outcome.context, participant_id);
  if (findParticipant(outcome.context, participant_id)?.status !== 'active') return [];
  return outcome.add({ type: 'ParticipantWentIdle', participant_id, idle_at: outcome.at }).events;
}

export function pauseThread(outcome: ThreadOutcome, command: ThreadCommandOf<'PauseThread'>) {
  requireOpen(outcome.state, 'pauses');
  if (outcome.state.matches({ open: 'paused' })) return [];
  const reason = command.reason ?? null;
  return outcome.add({ type: 'ThreadPaused', paused_by: command.paused_by, reason, paused_at: outcome.at })
    .events;
}

/** Resumes (into `escalated` if an escalation is open) and evaluates the count rules held back while paused. */
export function resumeThread(outcome: ThreadOutcome, command: ThreadCommandOf<'ResumeThread'>) {
  requireOpen(outcome.state, 'resumptions');
  if (!outcome.state.matches({ open: 'paused' })) return [];
  outcome.add({ type: 'ThreadResumed', resumed_by: command.resumed_by, resumed_at: outcome.at });
  return outcome.escalateIfDue().events;
}

/** Resolves an open escalation; allowed after closing too, so the record can be completed. */
export function resolveEscalation(outcome: ThreadOutcome, command: ThreadCommandOf<'ResolveEscalation'>) {
  const thread = outcome.context;
  const escalation = findEscalation(thread, command.escalation_id);
  if (!escalation) {
    // No ESCALATION_NOT_FOUND code yet: the escalation id is a bad parameter.
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      `thread ${thread.thread_id} has no escalation ${command.escalation_id}`,
      { thread_id: thread.thread_id, escalation_id: command.escalation_id },
    );
  }
  if (escalation.resolved) return [];
  const { escalation_id, resolution, resolved_by } = command;
  const rule = escalation.rule;
  return outcome.add({
    type: 'EscalationResolved',
    escalation_id,
    rule,
    resolution,
    resolved_by,
    resolved_at: outcome.at,
  }).events;
}

/** Asks the `summarize_thread` effect for a summary (open or closed thread). */
export function requestSummary(outcome: ThreadOutcome, command: ThreadCommandOf<'RequestSummary'>) {
  const request_id = outcome.newId();
  const message_count = outcome.context.message_count;
  const requested_by = command.requested_by;
  return outcome.add({
    type: 'SummaryRequested',
    request_id,
    requested_by,
    message_count,
    requested_at: outcome.at,
  }).events;
}

/** Records a summary (from the caller or the summarize effect); the same summary again changes nothing. */
export function summarizeThread(outcome: ThreadOutcome, command: ThreadCommandOf<'SummarizeThread'>) {
  if (outcome.context.summary === command.summary) return [];
  const { summary, summarized_by } = command;
  const request_id = command.request_id ?? null;
  const message_count = outcome.context.message_count;
  const summarized_at = outcome.at;
  return outcome.add({
    type: 'ThreadSummarized',
    summary,
    summarized_by,
    request_id,
    message_count,
    summarized_at,
  }).events;
}

/** Stops the thread for good with an explicit reason; closing a closed thread changes nothing. */
export function closeThread(outcome: ThreadOutcome, command: ThreadCommandOf<'CloseThread'>) {
  if (outcome.state.matches('closed')) return [];
  const { closed_by, stop_reason } = command;
  const note = command.note ?? null;
  return outcome.add({ type: 'ThreadClosed', stop_reason, closed_by, note, closed_at: outcome.at }).events;
}
