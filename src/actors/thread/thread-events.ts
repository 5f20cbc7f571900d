import type { JsonObject } from '../../events/json.js';
import type { EscalationAction, EscalationConditionType, EscalationRule } from './escalation-rules.js';

/** Kinds of message, as the seed's ThreadMessage defines them. */
export const MESSAGE_TYPES = ['text', 'code', 'file', 'decision', 'question'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Why a thread stopped. `consensus` shows as status `completed`, every other reason as `closed`. */
export const STOP_REASONS = ['consensus', 'escalated', 'max_rounds', 'budget', 'closed'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export const VOTE_STANCES = ['agree', 'disagree', 'abstain'] as const;
export type VoteStance = (typeof VOTE_STANCES)[number];

/** Who closes a thread when the thread closes itself (max_rounds, consensus). */
export const SYSTEM_ACTOR = 'system';

/**
 * Events of a conversation thread: what the machine accepts and the event store records. Times are ISO
 * strings, ids come from the runtime; absent optional values are `null`, never undefined.
 */
export type ThreadEvent =
  | ThreadCreated
  | {
      type: 'ParticipantInvited';
      participant_id: string;
      invited_by: string;
      invited_at: string;
    }
  | { type: 'ParticipantJoined'; participant_id: string; joined_at: string }
  | {
      type: 'ParticipantLeft';
      participant_id: string;
      reason: string | null;
      left_at: string;
    }
  | { type: 'ParticipantWentIdle'; participant_id: string; idle_at: string }
  | MessagePosted
  | DecisionRecorded
  | VoteCast
  | ConsensusReached
  | ErrorReported
  | {
      type: 'ThreadPaused';
      paused_by: string;
      reason: string | null;
      paused_at: string;
    }
  | { type: 'ThreadResumed'; resumed_by: string; resumed_at: string }
  | ThreadEscalated
  | EscalationResolved
  | SummaryRequested
  | ThreadSummarized
  | ThreadClosed;

export type ThreadCreated = {
  type: 'ThreadCreated';
  thread_id: string;
  topic: string;
  creator: string;
  /** Everyone taking part, creator included and first. The creator is active, the others invited. */
  participants: string[];
  project: string | null;
  task: string | null;
  escalation_rules: EscalationRule[];
  consensus_threshold: number;
  /** Messages after which the thread closes with stop reason `max_rounds`; null for no limit. */
  max_rounds: number | null;
  metadata: JsonObject;
  created_at: string;
};

export type MessagePosted = {
  type: 'MessagePosted';
  message_id: string;
  sender: string;
  content: string;
  message_type: MessageType;
  reply_to: string | null;
  metadata: JsonObject;
  posted_at: string;
};

export type DecisionRecorded = {
  type: 'DecisionRecorded';
  decision_id: string;
  decision: string;
  decided_by: string[];
  rationale: string;
  confidence: number;
  decided_at: string;
};

export type VoteCast = {
  type: 'VoteCast';
  voter: string;
  /** A decision id or a message id. */
  proposal_id: string;
  stance: VoteStance;
  comment: string | null;
  cast_at: string;
};

export type ConsensusReached = {
  type: 'ConsensusReached';
  proposal_id: string;
  agreeing: string[];
  active_participants: number;
  threshold: number;
  reached_at: string;
};

/** A failed turn: flags a message as an error, or (message_id null) counts as a failed message of its own. */
export type ErrorReported = {
  type: 'ErrorReported';
  error_id: string;
  message_id: string | null;
  reported_by: string;
  error: string;
  reported_at: string;
};

export type ThreadEscalated = {
  type: 'ThreadEscalated';
  escalation_id: string;
  /** The rule's name. */
  rule: string;
  condition: EscalationConditionType;
  reason: string;
  triggered_at: string;
  actions: EscalationAction[];
};

export type EscalationResolved = {
  type: 'EscalationResolved';
  escalation_id: string;
  rule: string;
  resolution: string;
  resolved_by: string;
  resolved_at: string;
};

export type SummaryRequested = {
  type: 'SummaryRequested';
  request_id: string;
  requested_by: string;
  message_count: number;
  requested_at: string;
};

export type ThreadSummarized = {
  type: 'ThreadSummarized';
  summary: string;
  summarized_by: string;
  request_id: string | null;
  message_count: number;
  summarized_at: string;
};

export type ThreadClosed = {
  type: 'ThreadClosed';
  stop_reason: StopReason;
  closed_by: string;
  note: string | null;
  closed_at: string;
};

export type ThreadEventType = ThreadEvent['type'];
