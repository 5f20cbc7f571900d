import { DomainError, DomainErrorCode } from '../domain-error.js';
import type { ThreadCommandOf } from './thread-commands.js';
import { findVote, messageExists, proposalExists, type ThreadContext } from './thread-context.js';
import type { ThreadEvent } from './thread-events.js';
import { findTurn } from './thread-turns.js';
import { requireMember, requireOpen, requireRunning, type ThreadOutcome } from './thread-outcome.js';

/** Posts a message; it may escalate (error_rate) and close the thread (max_rounds) in the same decide. */
export function postMessage(outcome: ThreadOutcome, command: ThreadCommandOf<'PostMessage'>): ThreadEvent[] {
  const thread = outcome.context;
  requireRunning(outcome.state, 'messages');
  requireMember(thread, command.sender);
  const replyTo = command.reply_to ?? null;
  if (replyTo !== null) requireMessage(thread, replyTo);
  const { sender, content, message_type, metadata } = command;
  const message_id = outcome.newId();
  const posted_at = outcome.at;
  outcome.add({
    type: 'MessagePosted',
    message_id,
    sender,
    content,
    message_type,
    reply_to: replyTo,
    metadata,
    posted_at,
  });
  return outcome.escalateIfDue().closeIfMaxRounds().events;
}

export function recordDecision(
  outcome: ThreadOutcome,
  command: ThreadCommandOf<'RecordDecision'>,
): ThreadEvent[] {
  requireRunning(outcome.state, 'decisions');
  const decided_by = [...new Set(command.decided_by)];
  for (const id of decided_by) requireMember(outcome.context, id);
  const { decision, rationale, confidence } = command;
  const decision_id = outcome.newId();
  const decided_at = outcome.at;
  return outcome.add({
    type: 'DecisionRecorded',
    decision_id,
    decision,
    decided_by,
    rationale,
    confidence,
    decided_at,
  }).events;
}

/** Votes on a decision or message; a disagreement may escalate, an agreement may reach consensus and close. */
export function castVote(outcome: ThreadOutcome, command: ThreadCommandOf<'CastVote'>): ThreadEvent[] {
  const thread = outcome.context;
  requireRunning(outcome.state, 'votes');
  requireMember(thread, command.voter);
  if (!proposalExists(thread, command.proposal_id)) {
    throw new DomainError(
      DomainErrorCode.MessageNotFound,
      `thread ${thread.thread_id} has no decision or message ${command.proposal_id} to vote on`,
      { thread_id: thread.thread_id, proposal_id: command.proposal_id },
    );
  }
  if (findVote(thread, command.voter, command.proposal_id)?.stance === command.stance) return [];
  const { voter, proposal_id, stance } = command;
  outcome.add({
    type: 'VoteCast',
    voter,
    proposal_id,
    stance,
    comment: command.comment ?? null,
    cast_at: outcome.at,
  });
  outcome.escalateIfDue();
  return (stance === 'agree' ? outcome.closeIfConsensus(proposal_id) : outcome).events;
}

/**
 * Records a failed turn. Accepted while paused (errors come from effects at any time), but escalation
 * rules are only evaluated while the thread runs: a paused thread evaluates them when it resumes.
 */
export function reportError(outcome: ThreadOutcome, command: ThreadCommandOf<'ReportError'>): ThreadEvent[] {
  const thread = outcome.context;
  requireOpen(outcome.state, 'error reports');
  const message_id = command.message_id ?? null;
  if (message_id !== null) {
    requireMessage(thread, message_id);
    if (findTurn(thread.turns, message_id)?.error === true) return [];
  }
  const { reported_by, error } = command;
  const error_id = outcome.newId();
  outcome.add({ type: 'ErrorReported', error_id, message_id, reported_by, error, reported_at: outcome.at });
  return outcome.escalateIfDue().events;
}

function requireMessage(thread: ThreadContext, id: string): void {
  if (!messageExists(thread, id)) {
    throw new DomainError(
      DomainErrorCode.MessageNotFound,
      `thread ${thread.thread_id} has no message ${id}`,
      {
        thread_id: thread.thread_id,
        message_id: id,
      },
    );
  }
}
