import type { JsonObject } from '../../events/json.js';
import type { EscalationRule } from './escalation-rules.js';
import type {
  ConsensusReached,
  DecisionRecorded,
  MessagePosted,
  StopReason,
  ThreadEscalated,
  VoteCast,
} from './thread-events.js';
import { findTurn, type TurnLog } from './thread-turns.js';

/** How many full messages the thread keeps in its state (and view); the event log keeps them all. */
export const RECENT_MESSAGE_LIMIT = 50;

export type ParticipantStatus = 'invited' | 'active' | 'idle' | 'left';

export type Participant = {
  id: string;
  status: ParticipantStatus;
  invited_at: string | null;
  joined_at: string | null;
  left_at: string | null;
};

export type MessageRecord = Omit<MessagePosted, 'type'>;
export type DecisionRecord = Omit<DecisionRecorded, 'type'>;
export type VoteRecord = Omit<VoteCast, 'type'>;
export type ConsensusRecord = Omit<ConsensusReached, 'type'>;

export type EscalationRecord = Omit<ThreadEscalated, 'type'> & {
  resolved: boolean;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  /** Lengths of `disagreements` and `turns` at resolution: the rule counts only what came after. */
  baseline: { disagreements: number; turns: number } | null;
};

/** The machine's context: JSON only, so snapshots can be cached as they are. */
export type ThreadContext = {
  thread_id: string;
  topic: string;
  creator: string;
  project: string | null;
  task: string | null;
  metadata: JsonObject;
  escalation_rules: EscalationRule[];
  consensus_threshold: number;
  max_rounds: number | null;
  participants: Participant[];
  created_at: string;
  last_activity: string;
  /** Last message, decision, vote or resumption: the clock of `no_progress`. */
  last_progress: string;
  message_count: number;
  recent_messages: MessageRecord[];
  /** Every message id (for reply_to and votes) with its error flag, plus unattached error reports, in chunks. */
  turns: TurnLog;
  decisions: DecisionRecord[];
  /** The latest vote of each voter on each proposal. */
  votes: VoteRecord[];
  /** Times of every disagreeing vote cast, for `disagreement_count`. */
  disagreements: string[];
  consensus: ConsensusRecord | null;
  escalations: EscalationRecord[];
  summary: string | null;
  summarized_at: string | null;
  summarized_by: string | null;
  pending_summary_request: string | null;
  pause: { paused_by: string; reason: string | null; paused_at: string } | null;
  closure: {
    stop_reason: StopReason;
    closed_by: string;
    note: string | null;
    closed_at: string;
  } | null;
};

export function emptyThreadContext(threadId: string): ThreadContext {
  return {
    thread_id: threadId,
    topic: '',
    creator: '',
    project: null,
    task: null,
    metadata: {},
    escalation_rules: [],
    consensus_threshold: 1,
    max_rounds: null,
    participants: [],
    created_at: '',
    last_activity: '',
    last_progress: '',
    message_count: 0,
    recent_messages: [],
    turns: [],
    decisions: [],
    votes: [],
    disagreements: [],
    consensus: null,
    escalations: [],
    summary: null,
    summarized_at: null,
    summarized_by: null,
    pending_summary_request: null,
    pause: null,
    closure: null,
  };
}

export function findParticipant(context: ThreadContext, id: string): Participant | undefined {
  return context.participants.find((participant) => participant.id === id);
}

/** A participant who has not left: may post, vote and decide. */
export function isMember(context: ThreadContext, id: string): boolean {
  const participant = findParticipant(context, id);
  return participant !== undefined && participant.status !== 'left';
}

export function activeParticipants(context: ThreadContext): string[] {
  return context.participants.filter((p) => p.status === 'active').map((p) => p.id);
}

export function messageExists(context: ThreadContext, id: string): boolean {
  return findTurn(context.turns, id) !== undefined;
}

export function proposalExists(context: ThreadContext, id: string): boolean {
  return messageExists(context, id) || context.decisions.some((decision) => decision.decision_id === id);
}

export function findEscalation(context: ThreadContext, id: string): EscalationRecord | undefined {
  return context.escalations.find((escalation) => escalation.escalation_id === id);
}

/** The unresolved escalation of a rule: while there is one, the rule does not fire again. */
export function openEscalationOf(context: ThreadContext, rule: string): EscalationRecord | undefined {
  return context.escalations.find((escalation) => escalation.rule === rule && !escalation.resolved);
}

export function openEscalationCount(context: ThreadContext): number {
  return context.escalations.filter((escalation) => !escalation.resolved).length;
}

export function findVote(context: ThreadContext, voter: string, proposal: string): VoteRecord | undefined {
  return context.votes.find((vote) => vote.voter === voter && vote.proposal_id === proposal);
}

/** Invited and idle participants become active when they post or vote. */
export function activate(participants: Participant[], id: string, at: string): Participant[] {
  return participants.map((p) =>
    p.id === id && (p.status === 'invited' || p.status === 'idle')
      ? { ...p, status: 'active', joined_at: p.joined_at ?? at }
      : p,
  );
}
