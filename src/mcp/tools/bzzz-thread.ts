import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { JsonObject } from '../../events/json.js';
import type { McpContext } from '../mcp-context.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { positionSchema } from './schemas.js';
import {
  castVote,
  closeThread,
  createThread,
  joinThread,
  leaveThread,
  postToThread,
  recordDecision,
} from './thread-actions.js';
import { THREAD_ACTIONS, type ThreadAction, type ThreadArgs, threadInputShape } from './thread-args.js';
import { listThreadsAction, summarizeThread } from './thread-reads.js';
import type { ThreadActionOutcome } from './thread-view-json.js';

const outputSchema = {
  success: z.literal(true),
  action: z.enum(THREAD_ACTIONS),
  thread_id: z.string().optional(),
  result: z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))]),
  next_cursor: z.string().nullable().optional(),
  position: positionSchema.optional(),
  timestamp: z.string(),
};

const ACTIONS: Record<ThreadAction, (context: McpContext, args: ThreadArgs) => Promise<ThreadActionOutcome>> =
  {
    create: createThread,
    join: joinThread,
    leave: leaveThread,
    list: listThreadsAction,
    summarize: summarizeThread,
    post: postToThread,
    decide: recordDecision,
    vote: castVote,
    close: closeThread,
  };

/**
 * bzzz_thread: threaded conversations. Writes answer once the threads view reflects them, so a
 * following `list` sees the change. Unknown threads are THREAD_NOT_FOUND, unknown agents on create and
 * join AGENT_NOT_FOUND; a missing parameter an action needs is INVALID_PARAMETERS.
 */
export function registerThread(server: McpServer, context: McpContext): void {
  server.registerTool(
    'bzzz_thread',
    {
      title: 'Manage a conversation thread',
      description:
        'Threaded conversations between agents. action: create (participants, topic, agent_id = creator), join / leave (thread_id, agent_id), list (status, agent_id, project, limit, cursor), summarize (thread_id; summary + agent_id records one, request_summary asks the summarizer), post (thread_id, agent_id, content, message_type, reply_to), decide (thread_id, agent_id, decision, rationale, confidence), vote (thread_id, agent_id, proposal_id, stance), close (thread_id, agent_id, stop_reason).',
      inputSchema: threadInputShape,
      outputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (args) =>
      runTool(async () => {
        const outcome = await ACTIONS[args.action](context, args);
        const structured: JsonObject = {
          success: true,
          action: args.action,
          ...(outcome.thread_id === undefined ? {} : { thread_id: outcome.thread_id }),
          result: outcome.result,
          ...(outcome.next_cursor === undefined ? {} : { next_cursor: outcome.next_cursor }),
          ...(outcome.position === undefined ? {} : { position: outcome.position }),
          timestamp: new Date(context.now()).toISOString(),
        };
        return toolSuccess(structured, outcome.text);
      }),
  );
}
