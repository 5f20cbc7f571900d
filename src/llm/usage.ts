/** Token usage of one LLM call, as OpenAI reports it (cached ⊆ prompt, reasoning ⊆ completion). */
export interface CallUsage {
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}

export const NO_USAGE: Readonly<CallUsage> = {
  prompt_tokens: 0,
  cached_tokens: 0,
  completion_tokens: 0,
  reasoning_tokens: 0,
};

/**
 * The usage of a chat completion response (`usage` with `prompt_tokens_details.cached_tokens` and
 * `completion_tokens_details.reasoning_tokens`), or undefined when the server sent none: some
 * OpenAI-compatible servers leave it out, and then the cost is unknown.
 */
export function usageOfResponse(response: unknown): CallUsage | undefined {
  const usage = field(response, 'usage');
  if (typeof usage !== 'object' || usage === null) return undefined;
  const prompt = count(field(usage, 'prompt_tokens'));
  const completion = count(field(usage, 'completion_tokens'));
  if (prompt === undefined || completion === undefined) return undefined;
  return {
    prompt_tokens: prompt,
    cached_tokens: count(field(field(usage, 'prompt_tokens_details'), 'cached_tokens')) ?? 0,
    completion_tokens: completion,
    reasoning_tokens: count(field(field(usage, 'completion_tokens_details'), 'reasoning_tokens')) ?? 0,
  };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
