import { z } from 'zod';
import { MESSAGE_TYPES, STOP_REASONS, VOTE_STANCES } from '../../actors/thread/thread-events.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { actorIdSchema, agentIdSchema } from './actor-ids.js';

export const THREAD_ACTIONS = [
  'create',
  'join',
  'leave',
  'list',
  'summarize',
  'post',
  'decide',
  'vote',
  'close',
] as const;
export type ThreadAction = (typeof THREAD_ACTIONS)[number];

export const THREAD_LIST_STATUSES = ['active', 'paused', 'escalated', 'completed', 'closed'] as const;

const json = z.record(z.string(), z.json());

/** bzzz_thread's parameters: the seed's four, then what each action needs (checked per action). */
export const threadInputShape = {
  action: z.enum(THREAD_ACTIONS).describe('What to do'),
  thread_id: actorIdSchema
    .optional()
    .describe('The thread (every action but create and list; optional on create: generated when absent)'),
  participants: z.array(agentIdSchema).min(1).max(64).optional().describe('create: agents taking part'),
  topic: z.string().min(1).max(512).optional().describe('create: what the thread is about'),
  agent_id: agentIdSchema
    .optional()
    .describe(
      'The acting agent: creator (create; default the first participant), who joins, leaves, posts, decides, votes, closes or records a summary; list: only threads this agent takes part in',
    ),
  content: z.string().min(1).max(100_000).optional().describe('post: the message'),
  message_type: z.enum(MESSAGE_TYPES).optional().describe('post: kind of message (default text)'),
  reply_to: z.string().min(1).max(256).optional().describe('post: id of the message answered'),
  metadata: json.optional().describe('create, post: free-form JSON kept with the thread or message'),
  decision: z.string().min(1).max(10_000).optional().describe('decide: what was decided'),
  rationale: z.string().max(10_000).optional().describe('decide: why'),
  confidence: z.number().min(0).max(1).optional().describe('decide: confidence 0..1'),
  proposal_id: z.string().min(1).max(256).optional().describe('vote: a decision id or message id'),
  stance: z.enum(VOTE_STANCES).optional().describe('vote: agree, disagree or abstain'),
  comment: z.string().max(10_000).optional().describe('vote: remark kept with the vote'),
  stop_reason: z.enum(STOP_REASONS).optional().describe('close: why the thread stops (default closed)'),
  reason: z.string().min(1).max(10_000).optional().describe('leave: why; close: a closing note'),
  summary: z.string().min(1).max(100_000).optional().describe('summarize: record this summary'),
  request_summary: z
    .boolean()
    .optional()
    .describe('summarize: ask the summarizer (LLM effect) for a fresh summary; it is recorded when ready'),
  project: z.string().min(1).max(128).optional().describe('create: project (address part); list: filter'),
  task: z.string().min(1).max(128).optional().describe('create: task (address part)'),
  max_rounds: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .describe('create: close after this many messages'),
  consensus_threshold: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('create: fraction of active participants whose agreement is consensus (default 0.66)'),
  status: z.enum(THREAD_LIST_STATUSES).optional().describe('list: only threads in this status'),
  limit: z.number().int().min(1).max(500).optional().describe('list: page size (default 50)'),
  cursor: z.string().min(1).max(1024).optional().describe("list: a previous page's next_cursor"),
};

export type ThreadArgs = z.output<z.ZodObject<typeof threadInputShape>>;

/** INVALID_PARAMETERS naming every parameter `action` needs and did not get. */
export function requireArgs<K extends keyof ThreadArgs>(
  args: ThreadArgs,
  fields: readonly K[],
): asserts args is ThreadArgs & { [P in K]-?: NonNullable<ThreadArgs[P]> } {
  const missing = fields.filter((field) => args[field] === undefined);
  if (missing.length > 0) {
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      `bzzz_thread ${args.action} needs ${missing.join(', ')}`,
      { action: args.action, missing: missing.map(String) },
    );
  }
}
