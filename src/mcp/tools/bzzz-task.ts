import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { KNOWN_TASK_TYPES } from '../../actors/agent/agent-events.js';
import type { JsonObject, JsonValue } from '../../events/json.js';
import { LlmErrorCode, NOT_CONFIGURED_MESSAGE } from '../../llm/llm-errors.js';
import type { LlmTaskRunner } from '../../llm/llm-service.js';
import type { TaskOutcome } from '../../llm/task-calls.js';
import type { McpContext } from '../mcp-context.js';
import { callProgress } from '../transports/progress.js';
import { runTool, toolFailure, toolSuccess } from '../tool-result.js';
import { actorIdSchema, agentIdSchema } from './actor-ids.js';
import { newToolId } from './ids.js';
import { positionSchema } from './schemas.js';

/** Longest a call waits for the outcome before answering `pending` (the task keeps running). */
const MAX_WAIT_S = 3600;

const inputSchema = {
  agent_id: agentIdSchema.describe(
    'The agent that runs the task (its model, system prompt and limits apply)',
  ),
  task_type: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/)
    .default('chat_completion')
    .describe(`${KNOWN_TASK_TYPES.join(', ')}, or a custom lower-case type`),
  description: z.string().max(10_000).default('').describe('What to do'),
  input: z
    .record(z.string(), z.json())
    .default({})
    .describe(
      'The task input: chat_completion {messages | prompt, model?, temperature?, maxTokens?}; code_review {code, language, context?}; documentation {content, documentType, audience}; architecture_analysis {systemDescription, requirements, constraints}',
    ),
  thread_id: actorIdSchema.optional().describe('The thread the task belongs to'),
  task_id: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe('Reuse to make a retry of this call idempotent (default: a new id)'),
  wait: z
    .boolean()
    .default(true)
    .describe('Wait for the outcome (default) or answer once the task is assigned'),
  timeout_s: z
    .number()
    .int()
    .min(1)
    .max(MAX_WAIT_S)
    .default(600)
    .describe('Longest wait for the outcome; then the answer is status "pending"'),
};

const usageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cached_tokens: z.number(),
  cost_usd: z.number().nullable(),
});

const outputSchema = {
  success: z.literal(true),
  agent_id: z.string(),
  task_id: z.string(),
  task_type: z.string(),
  status: z.enum(['completed', 'pending']),
  result: z.json().nullable(),
  usage: usageSchema.nullable(),
  cost_warning: z.string().nullable(),
  position: positionSchema,
};

/**
 * bzzz_task: assigns a task to an agent and (by default) waits for its LLM call's outcome. The call is
 * the agent's task effect, run after TaskAssigned is recorded; its outcome is TaskCompleted (result,
 * usage, cost) or TaskFailed (OPENAI_ERROR, COST_LIMIT_EXCEEDED, INVALID_PARAMETERS), which this tool
 * returns as its answer or error. Cancelling the MCP request aborts the HTTP request to the API (the
 * task then fails with OPENAI_ERROR). Without an API key it answers OPENAI_ERROR "not configured"
 * and assigns nothing.
 */
export function registerTask(server: McpServer, context: McpContext, llm: LlmTaskRunner | undefined): void {
  server.registerTool(
    'bzzz_task',
    {
      title: 'Run a task',
      description:
        "Run a task on an agent's LLM: chat_completion, code_review, documentation, architecture_analysis or a custom type. Returns the result with token usage and cost, or OPENAI_ERROR / COST_LIMIT_EXCEEDED. The agent's model, system prompt and cost limits apply; the budget is checked before anything is sent.",
      inputSchema,
      outputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    (args, extra) =>
      runTool(async () => {
        if (!llm?.configured) {
          return toolFailure(LlmErrorCode.OpenAiError, llm?.notConfiguredMessage ?? NOT_CONFIGURED_MESSAGE, {
            agent_id: args.agent_id,
          });
        }
        const agentId = args.agent_id;
        const taskId = args.task_id ?? newToolId('task', context.now());
        const done = new AbortController();
        const timer = setTimeout(() => done.abort(new Error('timeout')), args.timeout_s * 1000);
        const onCancel = () => {
          llm.cancel(agentId, taskId, 'cancelled by the MCP client');
          done.abort(new Error('cancelled'));
        };
        // Registered before the assignment: the outcome may come before `send` returns.
        const outcome = args.wait ? llm.waitForOutcome(agentId, taskId, done.signal) : undefined;
        outcome?.catch(() => {});
        extra.signal.addEventListener('abort', onCancel, { once: true });
        // A client that sent a progress token hears that the call is alive while the LLM works.
        const stopProgress = callProgress(extra).heartbeat(2000, `task ${taskId} running on ${agentId}`);
        try {
          const assigned = await context.system.send('agent', agentId, {
            type: 'AssignTask',
            task_id: taskId,
            task_type: args.task_type,
            description: args.description,
            input: args.input as JsonObject,
            ...(args.thread_id === undefined ? {} : { thread_id: args.thread_id }),
          });
          const answer = (
            status: 'completed' | 'pending',
            found?: Extract<TaskOutcome, { status: 'completed' }>,
          ) => {
            const structured = {
              success: true as const,
              agent_id: agentId,
              task_id: taskId,
              task_type: args.task_type,
              status,
              result: found?.result ?? null,
              usage: found ? { ...found.usage } : null,
              cost_warning: found?.costWarning ?? null,
              position: assigned.position?.toString() ?? null,
            } satisfies JsonObject;
            const summary =
              status === 'pending'
                ? `Task ${taskId} assigned to ${agentId}; running`
                : `Task ${taskId} completed by ${agentId}`;
            return toolSuccess(structured, summary);
          };
          // The same task id and content again: it may have finished already.
          const finished = assigned.events.length === 0 ? finishedTask(assigned.state, taskId) : undefined;
          const result = finished ?? (outcome ? await outcome.catch(() => undefined) : undefined);
          if (!result) {
            if (extra.signal.aborted) {
              return toolFailure(LlmErrorCode.OpenAiError, 'request cancelled by the MCP client', {
                agent_id: agentId,
                task_id: taskId,
              });
            }
            return answer('pending');
          }
          if (result.status === 'failed') {
            return toolFailure(result.code, result.reason, {
              agent_id: agentId,
              task_id: taskId,
              task_type: args.task_type,
            });
          }
          return answer('completed', result);
        } finally {
          stopProgress();
          clearTimeout(timer);
          extra.signal.removeEventListener('abort', onCancel);
          done.abort(new Error('answered'));
        }
      }),
  );
}

/** A task among the agent's recent (finished) tasks, as an outcome. */
function finishedTask(state: JsonObject, taskId: string): TaskOutcome | undefined {
  const recent = Array.isArray(state.recent_activity) ? (state.recent_activity as JsonObject[]) : [];
  const task = recent.find((candidate) => candidate.id === taskId);
  if (!task) return undefined;
  const agentId = String(state.id);
  if (task.status === 'failed') {
    return {
      status: 'failed',
      agentId,
      taskId,
      code: String(task.error_code ?? 'TASK_FAILED'),
      reason: String(task.error ?? 'task failed'),
    };
  }
  const usage = (task.usage ?? {}) as Record<string, JsonValue>;
  return {
    status: 'completed',
    agentId,
    taskId,
    result: task.result ?? null,
    usage: {
      prompt_tokens: Number(usage.prompt_tokens ?? 0),
      completion_tokens: Number(usage.completion_tokens ?? 0),
      cached_tokens: Number(usage.cached_tokens ?? 0),
      cost_usd: typeof usage.cost_usd === 'number' ? usage.cost_usd : null,
    },
    costWarning: null,
  };
}
