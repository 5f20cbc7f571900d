import type { JsonObject } from '../../events/json.js';
import { sendCommand, type McpContext } from '../mcp-context.js';
import { newToolId } from './ids.js';
import { requireAgents } from './require-agents.js';
import { requireArgs, type ThreadArgs } from './thread-args.js';
import {
  lastOf,
  participantIds,
  positionOf,
  threadBrief,
  type ThreadActionOutcome,
} from './thread-view-json.js';

/** create: checks that every participant exists, then starts the thread under a fresh id. */
export async function createThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['participants', 'topic']);
  const creator = args.agent_id ?? args.participants[0]!;
  await requireAgents(context, [creator, ...args.participants]);
  const threadId = args.thread_id ?? newToolId('thread', context.now());
  const result = await sendCommand(context, 'thread', threadId, {
    type: 'CreateThread',
    topic: args.topic,
    participants: args.participants,
    creator,
    ...(args.project === undefined ? {} : { project: args.project }),
    ...(args.task === undefined ? {} : { task: args.task }),
    ...(args.max_rounds === undefined ? {} : { max_rounds: args.max_rounds }),
    ...(args.consensus_threshold === undefined ? {} : { consensus_threshold: args.consensus_threshold }),
    ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
  });
  const view = result.state;
  return {
    thread_id: threadId,
    position: positionOf(result.position),
    result: {
      id: threadId,
      topic: view.topic ?? args.topic,
      participants: participantIds(view),
      creator,
      status: view.status ?? 'active',
      created_at: view.created_at ?? null,
      project: view.project ?? null,
      task: view.task ?? null,
    },
    text: `Thread ${threadId} created: ${args.topic}`,
  };
}

export async function joinThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id']);
  await requireAgents(context, [args.agent_id]);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'JoinThread',
    participant_id: args.agent_id,
  });
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: { ...threadBrief(result.state), changed: result.events.length > 0 },
    text: `${args.agent_id} takes part in thread ${args.thread_id}`,
  };
}

export async function leaveThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id']);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'LeaveThread',
    participant_id: args.agent_id,
    ...(args.reason === undefined ? {} : { reason: args.reason }),
  });
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: { ...threadBrief(result.state), changed: result.events.length > 0 },
    text: `${args.agent_id} left thread ${args.thread_id}`,
  };
}

export async function postToThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id', 'content']);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'PostMessage',
    sender: args.agent_id,
    content: args.content,
    ...(args.message_type === undefined ? {} : { message_type: args.message_type }),
    ...(args.reply_to === undefined ? {} : { reply_to: args.reply_to }),
    ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
  });
  const message = lastOf(result.state, 'messages', (m) => m.sender === args.agent_id);
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: { message, thread: threadBrief(result.state) },
    text: `${args.agent_id} posted to thread ${args.thread_id}`,
  };
}

export async function recordDecision(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id', 'decision', 'confidence']);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'RecordDecision',
    decision: args.decision,
    decided_by: args.agent_id,
    ...(args.rationale === undefined ? {} : { rationale: args.rationale }),
    confidence: args.confidence,
  });
  const decision = lastOf(result.state, 'decisions', (d) => d.decision === args.decision);
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: { decision, thread: threadBrief(result.state) },
    text: `Decision recorded in thread ${args.thread_id}`,
  };
}

export async function castVote(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id', 'proposal_id', 'stance']);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'CastVote',
    voter: args.agent_id,
    proposal_id: args.proposal_id,
    stance: args.stance,
    ...(args.comment === undefined ? {} : { comment: args.comment }),
  });
  const view = result.state;
  const vote = lastOf(view, 'votes', (v) => v.voter === args.agent_id && v.proposal_id === args.proposal_id);
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: {
      vote,
      consensus: (view.consensus as JsonObject | null | undefined) ?? null,
      changed: result.events.length > 0,
      thread: threadBrief(view),
    },
    text: `${args.agent_id} voted ${args.stance} on ${args.proposal_id}`,
  };
}

export async function closeThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id', 'agent_id']);
  const result = await sendCommand(context, 'thread', args.thread_id, {
    type: 'CloseThread',
    closed_by: args.agent_id,
    stop_reason: args.stop_reason ?? 'closed',
    ...(args.reason === undefined ? {} : { note: args.reason }),
  });
  const view = result.state;
  return {
    thread_id: args.thread_id,
    position: positionOf(result.position),
    result: {
      ...threadBrief(view),
      closed_at: view.closed_at ?? null,
      closed_by: view.closed_by ?? null,
      close_note: view.close_note ?? null,
      changed: result.events.length > 0,
    },
    text: `Thread ${args.thread_id} is ${String(view.status)}`,
  };
}
