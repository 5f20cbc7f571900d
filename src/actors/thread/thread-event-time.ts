import type { JsonObject } from '../../events/json.js';
import type { ThreadEvent } from './thread-events.js';

/** The time an event happened at, as recorded in it. */
export function eventTime(event: ThreadEvent): string {
  switch (event.type) {
    case 'ThreadCreated':
      return event.created_at;
    case 'ParticipantInvited':
      return event.invited_at;
    case 'ParticipantJoined':
      return event.joined_at;
    case 'ParticipantLeft':
      return event.left_at;
    case 'ParticipantWentIdle':
      return event.idle_at;
    case 'MessagePosted':
      return event.posted_at;
    case 'DecisionRecorded':
      return event.decided_at;
    case 'VoteCast':
      return event.cast_at;
    case 'ConsensusReached':
      return event.reached_at;
    case 'ErrorReported':
      return event.reported_at;
    case 'ThreadPaused':
      return event.paused_at;
    case 'ThreadResumed':
      return event.resumed_at;
    case 'ThreadEscalated':
      return event.triggered_at;
    case 'EscalationResolved':
      return event.resolved_at;
    case 'SummaryRequested':
      return event.requested_at;
    case 'ThreadSummarized':
      return event.summarized_at;
    case 'ThreadClosed':
      return event.closed_at;
  }
}

/** A message whose metadata says `error: true` counts as an error for `error_rate`. */
export function flagsError(metadata: JsonObject): boolean {
  return metadata.error === true;
}
