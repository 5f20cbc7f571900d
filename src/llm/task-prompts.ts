import { z } from 'zod';
import { DomainError, DomainErrorCode } from '../actors/domain-error.js';
import type { JsonObject } from '../events/json.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a task asks of the model: the messages, and the per-task overrides of the completion options. */
export interface TaskPrompt {
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

const text = (max = 1_000_000) => z.string().min(1).max(max);
const chatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(1_000_000),
});

/** The seed's CompletionOptions overrides, in camelCase or snake_case; any task type may carry them. */
const overrides = z.object({
  model: z.string().min(1).max(128).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * The seed's task types and their inputs (API reference, "Task Types"). Both spellings of the
 * two-word fields are accepted (documentType / document_type); unknown fields are ignored.
 */
const inputs = {
  chat_completion: overrides.extend({
    messages: z.array(chatMessage).min(1).max(1000).optional(),
    prompt: text().optional(),
    message: text().optional(),
    text: text().optional(),
    content: text().optional(),
  }),
  code_review: overrides.extend({
    code: text(),
    language: z.string().min(1).max(64).optional(),
    context: z.string().max(100_000).optional(),
  }),
  documentation: overrides.extend({
    content: text(),
    documentType: z.string().min(1).max(128).optional(),
    document_type: z.string().min(1).max(128).optional(),
    audience: z.string().min(1).max(256).optional(),
  }),
  architecture_analysis: overrides.extend({
    systemDescription: text().optional(),
    system_description: text().optional(),
    requirements: z.string().max(100_000).optional(),
    constraints: z.string().max(100_000).optional(),
  }),
} as const;

type KnownType = keyof typeof inputs;

function invalid(taskType: string, reason: string): DomainError {
  return new DomainError(DomainErrorCode.InvalidParameters, `${taskType} task input: ${reason}`, {
    task_type: taskType,
  });
}

function parse<T extends KnownType>(taskType: T, input: JsonObject): z.output<(typeof inputs)[T]> {
  const result = inputs[taskType].safeParse(input);
  if (result.success) return result.data as z.output<(typeof inputs)[T]>;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : 'input';
  throw invalid(taskType, `${path}: ${issue.message}`);
}

function withOverrides(
  messages: ChatMessage[],
  options: {
    model?: string | undefined;
    temperature?: number | undefined;
    maxTokens?: number | undefined;
    max_tokens?: number | undefined;
  },
): TaskPrompt {
  const prompt: TaskPrompt = { messages };
  if (options.model !== undefined) prompt.model = options.model;
  if (options.temperature !== undefined) prompt.temperature = options.temperature;
  const maxTokens = options.maxTokens ?? options.max_tokens;
  if (maxTokens !== undefined) prompt.maxTokens = maxTokens;
  return prompt;
}

const user = (content: string): ChatMessage => ({ role: 'user', content });

function section(title: string, body: string | undefined): string {
  return body === undefined || body.trim() === '' ? '' : `\n\n${title}:\n${body}`;
}

function taskLine(description: string): string {
  return description.trim() === '' ? '' : `Task: ${description.trim()}\n\n`;
}

/**
 * The messages of a task: the system prompt first, then what the task type makes of its input.
 * - chat_completion: `messages` as given (a system message among them follows the agent's), else one
 *   user message from prompt / message / text / content, else from the description;
 * - code_review: code (required), language, context;
 * - documentation: content (required), documentType, audience;
 * - architecture_analysis: systemDescription (required), requirements, constraints;
 * - any other (custom) type: the description and the input as JSON.
 * A bad input is INVALID_PARAMETERS, found before anything is sent.
 */
export function taskPrompt(
  taskType: string,
  description: string,
  input: JsonObject,
  systemPrompt: string,
): TaskPrompt {
  const system: ChatMessage = { role: 'system', content: systemPrompt };
  switch (taskType) {
    case 'chat_completion': {
      const args = parse(taskType, input);
      if (args.messages) return withOverrides([system, ...args.messages], args);
      const single = args.prompt ?? args.message ?? args.text ?? args.content ?? description.trim();
      if (single === '') throw invalid(taskType, 'give messages, a prompt or a description');
      return withOverrides([system, user(single)], args);
    }
    case 'code_review': {
      const args = parse(taskType, input);
      const language = args.language ?? 'unspecified';
      const content =
        `${taskLine(description)}Review this ${language} code. List the findings by severity with the lines they concern and a suggested fix for each.` +
        section('Context', args.context) +
        `\n\nCode:\n\`\`\`${args.language ?? ''}\n${args.code}\n\`\`\``;
      return withOverrides([system, user(content)], args);
    }
    case 'documentation': {
      const args = parse(taskType, input);
      const kind = args.documentType ?? args.document_type ?? 'reference documentation';
      const audience = args.audience ?? 'developers';
      const content =
        `${taskLine(description)}Write ${kind} for ${audience} about the following material.` +
        section('Material', args.content);
      return withOverrides([system, user(content)], args);
    }
    case 'architecture_analysis': {
      const args = parse(taskType, input);
      const systemDescription = args.systemDescription ?? args.system_description;
      if (systemDescription === undefined) throw invalid(taskType, 'systemDescription: required');
      const content =
        `${taskLine(description)}Analyse this system's architecture: strengths, risks, bottlenecks and recommended changes, against the requirements and constraints.` +
        section('System', systemDescription) +
        section('Requirements', args.requirements) +
        section('Constraints', args.constraints);
      return withOverrides([system, user(content)], args);
    }
    default: {
      const args = parse('chat_completion', pick(input, ['model', 'temperature', 'maxTokens', 'max_tokens']));
      const rest = omit(input, ['model', 'temperature', 'maxTokens', 'max_tokens']);
      const body = Object.keys(rest).length > 0 ? `Input:\n${JSON.stringify(rest, null, 2)}` : '';
      if (description.trim() === '' && body === '') throw invalid(taskType, 'give a description or an input');
      const content = `${taskLine(description)}${body}`.trim();
      return withOverrides([system, user(`Task type: ${taskType}\n\n${content}`)], args);
    }
  }
}

function pick(input: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(input).filter(([key]) => keys.includes(key)));
}

function omit(input: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(input).filter(([key]) => !keys.includes(key)));
}

/**
 * An estimate of the prompt's tokens that leans high, for the budget reservation: one token per two
 * UTF-8 bytes of content (English averages about four per token, code and JSON about three), plus
 * four tokens of framing per message and three to prime the reply.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let tokens = 3;
  for (const message of messages) tokens += 4 + Math.ceil(Buffer.byteLength(message.content, 'utf8') / 2);
  return tokens;
}
