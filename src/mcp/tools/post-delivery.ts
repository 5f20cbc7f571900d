import { createHash } from 'node:crypto';
import type { SemanticAddress } from '../../actors/address.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { MESSAGE_TYPES, type MessageType } from '../../actors/thread/thread-events.js';
import { isBzzzError } from '../../errors.js';
import type { JsonObject } from '../../events/json.js';
import { lookupAgents } from '../../projections/lookup/lookup-queries.js';
import { type McpContext, readViews, sendCommand } from '../mcp-context.js';
import { newToolId } from './ids.js';
import type { ThreadState } from '../../actors/thread/thread-outcome.js';

/** What bzzz_post needs to deliver one message. */
export interface PostRequest {
  address: SemanticAddress;
  messageType: string;
  content: JsonObject;
  priority: string;
  threadId?: string;
  sender?: string;
  replyTo?: string;
}

/** Where the message went. */
export interface Delivery {
  message_id: string;
  mode: 'task' | 'thread' | 'direct';
  recipients: string[];
  thread_id: string | null;
  task_id: string | null;
  position: bigint | undefined;
}

/** How many best-ranked available agents a task is offered to before giving up. */
const TASK_CANDIDATES = 10;
/** Most agents one direct message reaches. */
const MAX_RECIPIENTS = 64;

/** Message fields whose string value is the message text (the rest of the content stays in metadata). */
const TEXT_FIELDS = ['text', 'message', 'content', 'body'] as const;

/**
 * Assigns a task to the best available agent the address names (lookup ranking), trying the next one
 * when an agent filled up or went offline in the meantime. The assignment starts the agent's task
 * effect (the LLM call) after it is recorded.
 */
export async function assignTask(context: McpContext, request: PostRequest): Promise<Delivery> {
  const taskType = request.messageType === 'task' ? taskTypeOf(request.content) : request.messageType;
  if (request.threadId !== undefined) await requireThread(context, request.threadId);
  await readViews(context, ['lookup']);
  const candidates = lookupAgents(
    context.readModel,
    request.address,
    { availability: true },
    TASK_CANDIDATES,
  );
  const taskId = newToolId('task', context.now());
  const input: JsonObject = { ...request.content };
  if (!('priority' in input)) input.priority = request.priority;
  const description = descriptionOf(request.content);
  for (const candidate of candidates) {
    try {
      const result = await sendCommand(context, 'agent', candidate.id, {
        type: 'AssignTask',
        task_id: taskId,
        task_type: taskType,
        description,
        input,
        ...(request.threadId === undefined ? {} : { thread_id: request.threadId }),
      });
      return {
        message_id: taskId,
        mode: 'task',
        recipients: [candidate.id],
        thread_id: request.threadId ?? null,
        task_id: taskId,
        position: result.position,
      };
    } catch (error) {
      // Lost a race with another assignment or with the heartbeat deadline: offer it to the next one.
      if (isBzzzError(error, DomainErrorCode.MaxTasksReached)) continue;
      if (isBzzzError(error, DomainErrorCode.InvalidTransition)) continue;
      throw error;
    }
  }
  const matching = lookupAgents(context.readModel, request.address, {}, MAX_RECIPIENTS).length;
  throw new DomainError(
    DomainErrorCode.AgentNotFound,
    matching === 0
      ? `no agent matches ${request.address.raw}`
      : `none of the ${matching} agent(s) matching ${request.address.raw} can take a task now`,
    { target_address: request.address.raw, matching_agents: matching, task_type: taskType },
  );
}

/** Posts into an existing thread; the sender must take part in it. */
export async function postInThread(
  context: McpContext,
  request: PostRequest & { threadId: string },
): Promise<Delivery> {
  const sender = request.sender ?? senderOf(request.content);
  if (sender === undefined) {
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      'posting to a thread needs a sender: the `sender` parameter or content.sender (an agent taking part)',
      { thread_id: request.threadId },
    );
  }
  return post(context, request.threadId, sender, request, 'thread');
}

/**
 * A message to the agents an address names, without a thread: it is recorded in the direct thread of
 * the sender and that set of recipients (id derived from both, created on first use, no escalation
 * rules), so nothing is lost and the recipients find it with `bzzz_thread list`.
 */
export async function postDirect(
  context: McpContext,
  request: PostRequest,
  fallbackSender: string,
): Promise<Delivery> {
  const sender = request.sender ?? senderOf(request.content) ?? fallbackSender;
  await readViews(context, ['lookup']);
  const recipients = lookupAgents(context.readModel, request.address, {}, MAX_RECIPIENTS + 1)
    .map((agent) => agent.id)
    .filter((id) => id !== sender)
    .slice(0, MAX_RECIPIENTS)
    .sort();
  if (recipients.length === 0) {
    throw new DomainError(DomainErrorCode.AgentNotFound, `no agent matches ${request.address.raw}`, {
      target_address: request.address.raw,
    });
  }
  const threadId = directThreadId(sender, recipients);
  const { exists } = await context.system.inspect('thread', threadId);
  if (!exists) {
    const to = recipients.join(', ');
    const topic = `Direct messages from ${sender} to ${to}`;
    try {
      await sendCommand(context, 'thread', threadId, {
        type: 'CreateThread',
        topic: topic.length > 512 ? `${topic.slice(0, 511)}…` : topic,
        participants: recipients,
        creator: sender,
        escalation_rules: [],
        metadata: { kind: 'direct', target_address: request.address.raw },
      });
    } catch (error) {
      // Another post created it a moment ago.
      if (!isBzzzError(error, DomainErrorCode.InvalidTransition)) throw error;
    }
  }
  return post(context, threadId, sender, request, 'direct');
}

/** `direct-<hash of sender and recipients>`: the same conversation for the same people. */
export function directThreadId(sender: string, recipients: readonly string[]): string {
  const key = JSON.stringify([sender, [...recipients].sort()]);
  return `direct-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

async function post(
  context: McpContext,
  threadId: string,
  sender: string,
  request: PostRequest,
  mode: 'thread' | 'direct',
): Promise<Delivery> {
  const { text, rest } = splitContent(request.content);
  const metadata: JsonObject = {
    post_message_type: request.messageType,
    priority: request.priority,
    target_address: request.address.raw,
  };
  if (rest !== undefined) metadata.content = rest;
  const result = await sendCommand(context, 'thread', threadId, {
    type: 'PostMessage',
    sender,
    content: text,
    message_type: threadMessageType(request.messageType),
    ...(request.replyTo === undefined ? {} : { reply_to: request.replyTo }),
    metadata,
  });
  // Read from the thread's state rather than its whole view (built for nothing else here).
  const thread = (result.snapshot as ThreadState).context;
  const message = thread.recent_messages.findLast((m) => m.sender === sender);
  return {
    message_id: message?.message_id ?? '',
    mode,
    recipients: thread.participants.filter((p) => p.status !== 'left' && p.id !== sender).map((p) => p.id),
    thread_id: threadId,
    task_id: null,
    position: result.position,
  };
}

async function requireThread(context: McpContext, threadId: string): Promise<void> {
  const { exists } = await context.system.inspect('thread', threadId);
  if (!exists) {
    throw new DomainError(DomainErrorCode.ThreadNotFound, `thread ${threadId} does not exist`, {
      thread_id: threadId,
    });
  }
}

function threadMessageType(messageType: string): MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(messageType) ? (messageType as MessageType) : 'text';
}

/**
 * The message text: the first string field among text, message, content, body; the remaining fields
 * are kept in the message's metadata. Content without such a field is the text as JSON.
 */
function splitContent(content: JsonObject): { text: string; rest: JsonObject | undefined } {
  for (const field of TEXT_FIELDS) {
    const value = content[field];
    if (typeof value === 'string' && value.length > 0) {
      const { [field]: _, ...rest } = content;
      return { text: value, rest: Object.keys(rest).length > 0 ? rest : undefined };
    }
  }
  return { text: JSON.stringify(content), rest: undefined };
}

function senderOf(content: JsonObject): string | undefined {
  return typeof content.sender === 'string' && content.sender.length > 0 ? content.sender : undefined;
}

function taskTypeOf(content: JsonObject): string {
  return typeof content.task_type === 'string' ? content.task_type : 'chat_completion';
}

function descriptionOf(content: JsonObject): string {
  for (const field of ['description', ...TEXT_FIELDS]) {
    const value = content[field];
    if (typeof value === 'string') return value.slice(0, 10_000);
  }
  return '';
}
