import { z } from 'zod';
import type { JsonObject } from '../../events/json.js';
import {
  DEFAULT_CONSENSUS_THRESHOLD,
  DEFAULT_ESCALATION_RULES,
  escalationRulesSchema,
} from './escalation-rules.js';
import { MESSAGE_TYPES, STOP_REASONS, VOTE_STANCES } from './thread-events.js';

const agentId = z.string().min(1).max(256);
const text = (max: number) => z.string().min(1).max(max);
const jsonObject = z.record(z.string(), z.json()) as unknown as z.ZodType<JsonObject>;

/** Start a thread (the actor id is the thread id). The creator is added to the participants if missing. */
export const createThreadSchema = z.object({
  type: z.literal('CreateThread'),
  topic: text(512),
  participants: z.array(agentId).min(1).max(64),
  creator: agentId,
  project: text(256).optional(),
  task: text(256).optional(),
  escalation_rules: escalationRulesSchema.default(() => structuredClone([...DEFAULT_ESCALATION_RULES])),
  /** Fraction of active participants whose agreement is consensus. */
  consensus_threshold: z.number().gt(0).max(1).default(DEFAULT_CONSENSUS_THRESHOLD),
  /** Messages after which the thread closes with stop reason `max_rounds`. */
  max_rounds: z.number().int().positive().optional(),
  metadata: jsonObject.default({}),
});

/** Invite agents; those already taking part are skipped, those who left are invited again. */
export const inviteParticipantsSchema = z.object({
  type: z.literal('InviteParticipants'),
  invited_by: agentId,
  participants: z.array(agentId).min(1).max(64),
});

/** Join (anyone may join an open thread; an invited or idle participant becomes active). */
export const joinThreadSchema = z.object({ type: z.literal('JoinThread'), participant_id: agentId });

/** Leave. Not a participant: NOT_PARTICIPANT; already left: nothing happens. */
export const leaveThreadSchema = z.object({
  type: z.literal('LeaveThread'),
  participant_id: agentId,
  reason: text(1024).optional(),
});

/** Mark an active participant idle (e.g. its agent went offline); posting or voting makes it active again. */
export const markParticipantIdleSchema = z.object({
  type: z.literal('MarkParticipantIdle'),
  participant_id: agentId,
});

export const postMessageSchema = z.object({
  type: z.literal('PostMessage'),
  sender: agentId,
  content: text(100_000),
  message_type: z.enum(MESSAGE_TYPES).default('text'),
  reply_to: text(256).optional(),
  /** `{ "error": true }` counts the message as an error for `error_rate`. */
  metadata: jsonObject.default({}),
});

export const recordDecisionSchema = z.object({
  type: z.literal('RecordDecision'),
  decision: text(10_000),
  /** One agent or several (the Go seed's `DecidedBy []string`). */
  decided_by: z
    .union([agentId, z.array(agentId).min(1).max(64)])
    .transform((by) => (typeof by === 'string' ? [by] : by)),
  rationale: z.string().max(10_000).default(''),
  confidence: z.number().min(0).max(1),
});

/** Vote on a proposal (a decision or message id). Voting the same stance again changes nothing. */
export const castVoteSchema = z.object({
  type: z.literal('CastVote'),
  voter: agentId,
  proposal_id: text(256),
  stance: z.enum(VOTE_STANCES),
  comment: z.string().max(10_000).optional(),
});

/** Report a failed turn, about a message or on its own; it counts towards `error_rate`. */
export const reportErrorSchema = z.object({
  type: z.literal('ReportError'),
  reported_by: agentId,
  message_id: text(256).optional(),
  error: text(10_000),
});

export const pauseThreadSchema = z.object({
  type: z.literal('PauseThread'),
  paused_by: agentId,
  reason: text(1024).optional(),
});

export const resumeThreadSchema = z.object({ type: z.literal('ResumeThread'), resumed_by: agentId });

export const resolveEscalationSchema = z.object({
  type: z.literal('ResolveEscalation'),
  escalation_id: text(512),
  resolution: text(10_000),
  resolved_by: agentId,
});

/** Ask for a summary: the `summarize_thread` effect answers later with SummarizeThread. */
export const requestSummarySchema = z.object({ type: z.literal('RequestSummary'), requested_by: agentId });

export const summarizeThreadSchema = z.object({
  type: z.literal('SummarizeThread'),
  summary: text(100_000),
  summarized_by: agentId,
  request_id: text(256).optional(),
});

/** Stop the thread for good. Closing a closed thread changes nothing. */
export const closeThreadSchema = z.object({
  type: z.literal('CloseThread'),
  closed_by: agentId,
  stop_reason: z.enum(STOP_REASONS),
  note: text(10_000).optional(),
});

export const threadCommandSchema = z.discriminatedUnion('type', [
  createThreadSchema,
  inviteParticipantsSchema,
  joinThreadSchema,
  leaveThreadSchema,
  markParticipantIdleSchema,
  postMessageSchema,
  recordDecisionSchema,
  castVoteSchema,
  reportErrorSchema,
  pauseThreadSchema,
  resumeThreadSchema,
  resolveEscalationSchema,
  requestSummarySchema,
  summarizeThreadSchema,
  closeThreadSchema,
]);

/** A validated command, defaults filled in. */
export type ThreadCommand = z.output<typeof threadCommandSchema>;
/** A command as callers write it (defaults optional). */
export type ThreadCommandInput = z.input<typeof threadCommandSchema>;
export type ThreadCommandOf<T extends ThreadCommand['type']> = Extract<ThreadCommand, { type: T }>;
