import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import type { JsonObject } from '../../events/json.js';
import { listThreads } from '../../projections/threads/threads-queries.js';
import { type McpContext, readViews, sendCommand } from '../mcp-context.js';
import { requireArgs, type ThreadArgs } from './thread-args.js';
import { participantIds, positionOf, type ThreadActionOutcome } from './thread-view-json.js';

/** Messages a digest quotes, newest last, and how much of each. */
const DIGEST_MESSAGES = 20;
const DIGEST_CHARS = 280;

/** list: threads from the threads view, most recently active first, one page at a time. */
export async function listThreadsAction(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  await readViews(context, ['threads']);
  const page = listThreads(context.readModel, {
    ...(args.status === undefined ? {} : { status: args.status }),
    ...(args.agent_id === undefined ? {} : { participant: args.agent_id }),
    ...(args.project === undefined ? {} : { project: args.project }),
    ...(args.limit === undefined ? {} : { limit: args.limit }),
    ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
  });
  return {
    result: page.items.map((item) => ({ ...item })),
    next_cursor: page.next_cursor,
    text: `${page.items.length} thread(s)${page.next_cursor ? ' (more: pass next_cursor)' : ''}`,
  };
}

/**
 * summarize: with `summary`, records it (by `agent_id`); with `request_summary`, asks the summarizer
 * effect for one (recorded later by the effect); otherwise answers the stored summary, or, when the
 * thread has none yet, a digest of its state and latest messages (source `digest`).
 */
export async function summarizeThread(context: McpContext, args: ThreadArgs): Promise<ThreadActionOutcome> {
  requireArgs(args, ['thread_id']);
  const threadId = args.thread_id;
  if (args.summary !== undefined || args.request_summary) {
    requireArgs(args, ['agent_id']);
    const command =
      args.summary !== undefined
        ? { type: 'SummarizeThread', summary: args.summary, summarized_by: args.agent_id }
        : { type: 'RequestSummary', requested_by: args.agent_id };
    const result = await sendCommand(context, 'thread', threadId, command);
    const view = result.state;
    return {
      thread_id: threadId,
      position: positionOf(result.position),
      result: {
        id: threadId,
        topic: view.topic ?? null,
        source: args.summary !== undefined ? 'recorded' : 'requested',
        summary: view.summary ?? null,
        summarized_at: view.summarized_at ?? null,
        summary_requested: view.summary_requested ?? false,
        message_count: view.message_count ?? 0,
      },
      text:
        args.summary !== undefined
          ? `Summary recorded for thread ${threadId}`
          : `Summary requested for thread ${threadId}`,
    };
  }
  const { exists, state: view } = await context.system.inspect('thread', threadId);
  if (!exists) {
    throw new DomainError(DomainErrorCode.ThreadNotFound, `thread ${threadId} does not exist`, {
      thread_id: threadId,
    });
  }
  const stored = typeof view.summary === 'string' ? view.summary : null;
  return {
    thread_id: threadId,
    result: {
      id: threadId,
      topic: view.topic ?? null,
      source: stored === null ? 'digest' : 'stored',
      summary: stored ?? digestText(view),
      summarized_at: view.summarized_at ?? null,
      summary_requested: view.summary_requested ?? false,
      message_count: view.message_count ?? 0,
      status: view.status ?? null,
      participants: participantIds(view),
    },
    text: stored === null ? `Digest of thread ${threadId}` : `Summary of thread ${threadId}`,
  };
}

/** A plain-text digest: topic, status, participants, decisions and the latest messages. */
function digestText(view: JsonObject): string {
  const lines = [
    `Topic: ${String(view.topic)}`,
    `Status: ${String(view.status)}; ${String(view.message_count)} message(s)`,
    `Participants: ${participantIds(view).join(', ')}`,
  ];
  const decisions = (view.decisions as JsonObject[] | undefined) ?? [];
  for (const d of decisions) {
    lines.push(
      `Decision (${(d.decided_by as string[]).join(', ')}, confidence ${String(d.confidence)}): ${String(d.decision)}`,
    );
  }
  const messages = ((view.messages as JsonObject[] | undefined) ?? []).slice(-DIGEST_MESSAGES);
  if (messages.length > 0) lines.push(`Latest messages:`);
  for (const m of messages) {
    const content = String(m.content);
    const shown = content.length > DIGEST_CHARS ? `${content.slice(0, DIGEST_CHARS)}…` : content;
    lines.push(`- ${String(m.timestamp)} ${String(m.sender)} (${String(m.message_type)}): ${shown}`);
  }
  return lines.join('\n');
}
