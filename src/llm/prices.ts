import { roundUsd } from '../projections/cost/cost-queries.js';
import type { CallUsage } from './usage.js';

/** Prices of one model in USD per 1 million tokens. */
export interface ModelPrice {
  input: number;
  /** Prompt tokens served from the prompt cache. */
  cached_input: number;
  /** Completion tokens, reasoning tokens included. */
  output: number;
}

/** Model name → price. A model that is not here has an unknown cost (recorded as null, never as 0). */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** OpenAI's list prices (standard tier), USD per 1M tokens. Override or extend them with BZZZ_PRICES. */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o': { input: 2.5, cached_input: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cached_input: 0.075, output: 0.6 },
  'gpt-4.1': { input: 2, cached_input: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cached_input: 0.1, output: 1.6 },
  'gpt-5': { input: 1.25, cached_input: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cached_input: 0.025, output: 2 },
};

/** A dated snapshot name (`gpt-4o-2024-08-06`) is priced as its base model when it has no entry of its own. */
const DATE_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The price of `model`: its own entry, else the entry of its undated name; undefined when unknown. */
export function priceOf(prices: PriceTable, model: string): ModelPrice | undefined {
  if (Object.hasOwn(prices, model)) return prices[model];
  const base = model.replace(DATE_SUFFIX, '');
  return base !== model && Object.hasOwn(prices, base) ? prices[base] : undefined;
}

/**
 * The cost of one call from its usage: uncached prompt tokens at the input price, cached prompt tokens
 * at the cached price, completion tokens (which include the reasoning tokens, as OpenAI reports them)
 * at the output price. A server that reports more reasoning than completion tokens counts them apart,
 * and they are added to the output.
 */
export function costOf(price: ModelPrice, usage: CallUsage): number {
  const cached = Math.min(usage.cached_tokens, usage.prompt_tokens);
  const output =
    usage.reasoning_tokens > usage.completion_tokens
      ? usage.completion_tokens + usage.reasoning_tokens
      : usage.completion_tokens;
  const micro =
    (usage.prompt_tokens - cached) * price.input + cached * price.cached_input + output * price.output;
  return roundUsd(micro / 1_000_000);
}

/** The most a call can cost: every prompt token at the full input price and `maxTokens` of output. */
export function worstCaseCost(price: ModelPrice, promptTokens: number, maxTokens: number): number {
  return roundUsd((promptTokens * price.input + maxTokens * price.output) / 1_000_000);
}

/**
 * Parses BZZZ_PRICES: a JSON object `{"model": {"input": 2.5, "cached_input": 1.25, "output": 10}}`
 * (USD per 1M tokens; `cached_input` defaults to `input`; `null` removes a default entry), merged over
 * `base`. Throws an Error with a one-line reason.
 */
export function parsePrices(json: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      'expected a JSON object like {"my-model": {"input": 1, "cached_input": 0.5, "output": 2}}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('expected a JSON object of model names to prices');
  }
  const table: Record<string, ModelPrice> = { ...base };
  for (const [model, entry] of Object.entries(parsed)) {
    if (model.length === 0) throw new Error('a model name is empty');
    if (entry === null) {
      delete table[model];
      continue;
    }
    table[model] = parseEntry(model, entry);
  }
  return table;
}

function parseEntry(model: string, entry: unknown): ModelPrice {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error(`${model}: expected {"input": …, "cached_input": …, "output": …}`);
  }
  const fields = entry as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !['input', 'cached_input', 'output'].includes(key));
  if (unknown.length > 0) throw new Error(`${model}: unknown field ${unknown[0]}`);
  const amount = (field: string, fallback?: number): number => {
    const value = fields[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`${model}.${field} must be a non-negative number (USD per 1M tokens)`);
    }
    return value;
  };
  const input = amount('input');
  return { input, cached_input: amount('cached_input', input), output: amount('output') };
}
