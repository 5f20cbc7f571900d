import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { KNOWN_TASK_TYPES } from '../../actors/agent/agent-events.js';
import type { JsonObject } from '../../events/json.js';
import { typedOutput } from '../bzzz-mcp-server.js';
import type { McpContext } from '../mcp-context.js';
import { runTool, toolSuccessText } from '../tool-result.js';
import { actorIdSchema } from './actor-ids.js';
import { assignTask, type Delivery, postDirect, postInThread, type PostRequest } from './post-delivery.js';
import { parseAddressOnce } from './parsed-addresses.js';
import { positionSchema } from './schemas.js';

/** Message types that are work for an agent: they become an AssignTask (and, later, an LLM call). */
export const TASK_MESSAGE_TYPES: readonly string[] = [...KNOWN_TASK_TYPES, 'task'];
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

const inputSchema = {
  target_address: z
    .string()
    .min(1)
    .max(512)
    .describe(
      'bzzz:// address of the recipients, e.g. bzzz://reviewer-001:reviewer@myproject or bzzz://*:reviewer@*',
    ),
  message_type: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a lower-case identifier such as review_request')
    .describe(
      `Kind of message. Task types (${TASK_MESSAGE_TYPES.join(', ')}) assign a task to the best available matching agent; text, code, file, decision and question keep their type in the thread; any other type is posted as text`,
    ),
  content: z
    .record(z.string(), z.json())
    .describe(
      'The message. Its text is the first string among text, message, content, body (else the whole object as JSON); the other fields are kept. For tasks: description, task_type (for message_type task) and the task input.',
    ),
  priority: z.enum(PRIORITIES).default('medium'),
  thread_id: actorIdSchema.optional().describe('Post into this thread (the sender must take part in it)'),
  sender: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      'Who sends: an agent id. Default content.sender, else (messages outside a thread) the MCP client',
    ),
  reply_to: z.string().min(1).max(256).optional().describe('Id of the thread message answered'),
};

const outputSchema = {
  success: z.literal(true),
  message_id: z.string(),
  target_address: z.string(),
  message_type: z.string(),
  priority: z.enum(PRIORITIES),
  delivery_results: z.object({
    delivered: z.boolean(),
    recipients: z.array(z.string()),
    delivery_time: z.number(),
    mode: z.enum(['task', 'thread', 'direct']),
    thread_id: z.string().nullable(),
    task_id: z.string().nullable(),
  }),
  position: positionSchema,
  posted_at: z.string(),
};

/** What the handler answers: the compiler holds it to the output schema (see typedOutput). */
type PostOutput = z.infer<z.ZodObject<typeof outputSchema>>;

/**
 * bzzz_post: a message to a bzzz address. Three routes, all recorded as events:
 * - a task type: AssignTask to the best available agent the address names (AGENT_NOT_FOUND if none);
 * - `thread_id`: PostMessage in that thread (THREAD_NOT_FOUND, NOT_PARTICIPANT);
 * - otherwise: PostMessage in the direct thread of the sender and the matching agents.
 */
export function registerPost(server: McpServer, context: McpContext, owner: () => string | undefined): void {
  typedOutput(server, 'bzzz_post');
  server.registerTool(
    'bzzz_post',
    {
      title: 'Post a message',
      description:
        'Post a message or task to the agents a bzzz address names. Task message types (chat_completion, code_review, documentation, architecture_analysis, task) assign a task to the best available matching agent; with thread_id the message goes into that thread; otherwise it goes into the direct thread between the sender and the matching agents.',
      inputSchema,
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
        const started = performance.now();
        const request: PostRequest = {
          address: parseAddressOnce(args.target_address),
          messageType: args.message_type,
          content: args.content as JsonObject,
          priority: args.priority,
          ...(args.thread_id === undefined ? {} : { threadId: args.thread_id }),
          ...(args.sender === undefined ? {} : { sender: args.sender }),
          ...(args.reply_to === undefined ? {} : { replyTo: args.reply_to }),
        };
        let delivery: Delivery;
        if (TASK_MESSAGE_TYPES.includes(args.message_type)) delivery = await assignTask(context, request);
        else if (request.threadId !== undefined)
          delivery = await postInThread(context, { ...request, threadId: request.threadId });
        else delivery = await postDirect(context, request, owner() ?? 'mcp-client');
        const structured: PostOutput = {
          success: true,
          message_id: delivery.message_id,
          target_address: args.target_address,
          message_type: args.message_type,
          priority: args.priority,
          delivery_results: {
            delivered: true,
            recipients: delivery.recipients,
            delivery_time: Math.round(performance.now() - started),
            mode: delivery.mode,
            thread_id: delivery.thread_id,
            task_id: delivery.task_id,
          },
          position: delivery.position?.toString() ?? null,
          posted_at: new Date(context.now()).toISOString(),
        };
        const to = delivery.recipients.join(', ');
        const where = delivery.thread_id === null ? '' : ` in thread ${delivery.thread_id}`;
        return toolSuccessText(
          structured,
          `${args.message_type} delivered to ${to} (${delivery.mode}): message ${delivery.message_id}${where}`,
        );
      }),
  );
}
