import type { DecideContext } from '../actor-kind.js';
import type { EffectRequest } from '../fold.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import type { ThreadCommand } from './thread-commands.js';
import { castVote, postMessage, recordDecision, reportError } from './thread-decide-conversation.js';
import {
  closeThread,
  createThread,
  inviteParticipants,
  joinThread,
  leaveThread,
  markIdle,
  pauseThread,
  requestSummary,
  resolveEscalation,
  resumeThread,
  summarizeThread,
} from './thread-decide-lifecycle.js';
import type { ThreadEvent } from './thread-events.js';
import { ThreadOutcome, type ThreadState } from './thread-outcome.js';

/**
 * The events a command produces in `state`, or a thrown DomainError. Every command but CreateThread
 * on a thread that was never created is THREAD_NOT_FOUND. Repeating what already holds (joining as an
 * active participant, leaving twice, pausing a paused thread, closing a closed one…) produces nothing.
 */
export function decideThread(
  state: ThreadState,
  command: ThreadCommand,
  context: DecideContext,
): ThreadEvent[] {
  return decideThreadFolding(state, command, context).events;
}

/**
 * decideThread, with the state its ThreadOutcome folded the events into (the runtime then does not
 * fold them again): the same transitions, in the same order, on the same machine.
 */
export function decideThreadFolding(
  state: ThreadState,
  command: ThreadCommand,
  context: DecideContext,
): { events: ThreadEvent[]; folded?: { state: ThreadState; actions: EffectRequest[] } } {
  if (command.type === 'CreateThread') return { events: createThread(state, command, context) };
  if (state.matches('new')) {
    throw new DomainError(DomainErrorCode.ThreadNotFound, `thread ${context.actorId} does not exist`, {
      thread_id: context.actorId,
    });
  }
  const outcome = new ThreadOutcome(state, context);
  const events = decideWith(outcome, command);
  // Every event the outcome folded, and only those (a command that changes nothing answers []).
  const folded = events === outcome.events || (events.length === 0 && outcome.events.length === 0);
  return folded ? { events, folded: { state: outcome.state, actions: outcome.actions } } : { events };
}

function decideWith(outcome: ThreadOutcome, command: Exclude<ThreadCommand, { type: 'CreateThread' }>) {
  switch (command.type) {
    case 'InviteParticipants':
      return inviteParticipants(outcome, command);
    case 'JoinThread':
      return joinThread(outcome, command);
    case 'LeaveThread':
      return leaveThread(outcome, command);
    case 'MarkParticipantIdle':
      return markIdle(outcome, command);
    case 'PostMessage':
      return postMessage(outcome, command);
    case 'RecordDecision':
      return recordDecision(outcome, command);
    case 'CastVote':
      return castVote(outcome, command);
    case 'ReportError':
      return reportError(outcome, command);
    case 'PauseThread':
      return pauseThread(outcome, command);
    case 'ResumeThread':
      return resumeThread(outcome, command);
    case 'ResolveEscalation':
      return resolveEscalation(outcome, command);
    case 'RequestSummary':
      return requestSummary(outcome, command);
    case 'SummarizeThread':
      return summarizeThread(outcome, command);
    case 'CloseThread':
      return closeThread(outcome, command);
  }
}
