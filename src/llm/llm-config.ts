import { ConfigError } from '../config/config.js';
import { DEFAULT_PRICES, parsePrices, type PriceTable } from './prices.js';
import { Secret } from './redact.js';
import { DEFAULT_ROLE_PROMPTS, loadRolePrompts, type RolePrompts } from './role-prompts.js';

/** Spending limits in USD; null: no limit. */
export interface BudgetLimits {
  /** Everything this node spends in a UTC day (BZZZ_DAILY_COST_LIMIT, the seed's DAILY_COST_LIMIT). */
  dailyUsd: number | null;
  /** Everything this node spends in a UTC month (BZZZ_MONTHLY_COST_LIMIT, the seed's MONTHLY_COST_LIMIT). */
  monthlyUsd: number | null;
  /** One agent in a UTC day unless its profile sets `cost_limits.daily_usd` (the seed's per_agent_daily). */
  agentDailyUsd: number | null;
  /** One task unless the agent's profile sets `cost_limits.per_task_usd` (BZZZ_TASK_COST_LIMIT). */
  perTaskUsd: number | null;
}

export interface CircuitBreakerSettings {
  /** Consecutive failed attempts against one base URL that open its circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one probe may go through. */
  openMs: number;
}

/** Everything the LLM layer is configured with; read once at start by {@link loadLlmConfig}. */
export interface LlmConfig {
  /** An OpenAI-compatible API: OpenAI, Ollama (http://localhost:11434/v1), vLLM, llama.cpp server… */
  baseUrl: string;
  /** Absent: the LLM is not configured; the node runs and tasks fail with OPENAI_ERROR "not configured". */
  apiKey: Secret | undefined;
  /** Used when neither the task nor the agent names a model. */
  defaultModel: string;
  /** Completion tokens per call unless the task says otherwise; also what the budget reserves. */
  maxTokens: number;
  /** Sent unless the model is a reasoning model (gpt-5…, o1/o3/o4…), which only takes the default. */
  temperature: number;
  /** One HTTP attempt, headers and body, in ms. */
  timeoutMs: number;
  /** Attempts after the first one, on 408, 409, 429, 5xx, timeouts and connection errors. */
  maxRetries: number;
  /** First backoff delay in ms (doubled per attempt, with jitter) when the server gives no Retry-After. */
  retryBaseMs: number;
  /** Longest wait between attempts; a longer Retry-After ends the call instead. */
  maxRetryDelayMs: number;
  circuitBreaker: CircuitBreakerSettings;
  limits: BudgetLimits;
  /** Fraction of a limit at which a CostWarningRecorded event is appended (the seed's 0.8). */
  warningThreshold: number;
  prices: PriceTable;
  rolePrompts: RolePrompts;
}

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export const DEFAULT_LLM_CONFIG: Readonly<LlmConfig> = {
  baseUrl: DEFAULT_BASE_URL,
  apiKey: undefined,
  defaultModel: 'gpt-5',
  maxTokens: 4000,
  temperature: 0.7,
  timeoutMs: 60_000,
  maxRetries: 3,
  retryBaseMs: 500,
  maxRetryDelayMs: 60_000,
  circuitBreaker: { failureThreshold: 5, openMs: 30_000 },
  limits: { dailyUsd: 100, monthlyUsd: 1000, agentDailyUsd: 20, perTaskUsd: null },
  warningThreshold: 0.8,
  prices: DEFAULT_PRICES,
  rolePrompts: DEFAULT_ROLE_PROMPTS,
};

type Env = Record<string, string | undefined>;

/**
 * Reads the LLM settings from the environment; a bad value is a ConfigError naming the variable, on
 * one line (the API key's value is never in it). Seed names (OPENAI_MODEL, DAILY_COST_LIMIT…) are
 * read when the BZZZ_ name is absent.
 *
 * | variable | default |
 * |---|---|
 * | BZZZ_OPENAI_BASE_URL (OPENAI_BASE_URL) | https://api.openai.com/v1 |
 * | BZZZ_OPENAI_API_KEY (OPENAI_API_KEY) | none: LLM not configured |
 * | BZZZ_OPENAI_MODEL (OPENAI_MODEL) | gpt-5 |
 * | BZZZ_OPENAI_MAX_TOKENS (OPENAI_MAX_TOKENS) | 4000 |
 * | BZZZ_OPENAI_TEMPERATURE (OPENAI_TEMPERATURE) | 0.7 |
 * | BZZZ_OPENAI_TIMEOUT_MS | 60000 |
 * | BZZZ_OPENAI_MAX_RETRIES | 3 |
 * | BZZZ_OPENAI_CIRCUIT_FAILURES / BZZZ_OPENAI_CIRCUIT_OPEN_MS | 5 / 30000 |
 * | BZZZ_DAILY_COST_LIMIT (DAILY_COST_LIMIT) | 100 |
 * | BZZZ_MONTHLY_COST_LIMIT (MONTHLY_COST_LIMIT) | 1000 |
 * | BZZZ_AGENT_DAILY_COST_LIMIT | 20 |
 * | BZZZ_TASK_COST_LIMIT | none |
 * | BZZZ_COST_WARNING_THRESHOLD (COST_WARNING_THRESHOLD) | 0.8 |
 * | BZZZ_PRICES | built-in table (prices.ts), JSON merged over it |
 * | BZZZ_ROLE_PROMPTS_FILE | built-in prompts (role-prompts.ts), JSON file merged over them |
 *
 * Limits take a non-negative amount in USD, or `none` for no limit.
 */
export function loadLlmConfig(env: Env = process.env): LlmConfig {
  const d = DEFAULT_LLM_CONFIG;
  const key = read(env, 'BZZZ_OPENAI_API_KEY', 'OPENAI_API_KEY');
  return {
    baseUrl: parse(env, ['BZZZ_OPENAI_BASE_URL', 'OPENAI_BASE_URL'], d.baseUrl, baseUrl),
    apiKey: apiKey(key),
    defaultModel: parse(env, ['BZZZ_OPENAI_MODEL', 'OPENAI_MODEL'], d.defaultModel, model),
    maxTokens: parse(
      env,
      ['BZZZ_OPENAI_MAX_TOKENS', 'OPENAI_MAX_TOKENS'],
      d.maxTokens,
      integer(1, 1_000_000),
    ),
    temperature: parse(env, ['BZZZ_OPENAI_TEMPERATURE', 'OPENAI_TEMPERATURE'], d.temperature, decimal(0, 2)),
    timeoutMs: parse(env, ['BZZZ_OPENAI_TIMEOUT_MS'], d.timeoutMs, integer(1, 3_600_000)),
    maxRetries: parse(env, ['BZZZ_OPENAI_MAX_RETRIES'], d.maxRetries, integer(0, 10)),
    retryBaseMs: d.retryBaseMs,
    maxRetryDelayMs: d.maxRetryDelayMs,
    circuitBreaker: {
      failureThreshold: parse(
        env,
        ['BZZZ_OPENAI_CIRCUIT_FAILURES'],
        d.circuitBreaker.failureThreshold,
        integer(1, 1000),
      ),
      openMs: parse(env, ['BZZZ_OPENAI_CIRCUIT_OPEN_MS'], d.circuitBreaker.openMs, integer(1, 86_400_000)),
    },
    limits: {
      dailyUsd: parse(env, ['BZZZ_DAILY_COST_LIMIT', 'DAILY_COST_LIMIT'], d.limits.dailyUsd, limit),
      monthlyUsd: parse(env, ['BZZZ_MONTHLY_COST_LIMIT', 'MONTHLY_COST_LIMIT'], d.limits.monthlyUsd, limit),
      agentDailyUsd: parse(env, ['BZZZ_AGENT_DAILY_COST_LIMIT'], d.limits.agentDailyUsd, limit),
      perTaskUsd: parse(env, ['BZZZ_TASK_COST_LIMIT'], d.limits.perTaskUsd, limit),
    },
    warningThreshold: parse(
      env,
      ['BZZZ_COST_WARNING_THRESHOLD', 'COST_WARNING_THRESHOLD'],
      d.warningThreshold,
      threshold,
    ),
    prices: parse(env, ['BZZZ_PRICES'], d.prices, (value) => parsePrices(value)),
    rolePrompts: parse(env, ['BZZZ_ROLE_PROMPTS_FILE'], d.rolePrompts, (value) => loadRolePrompts(value)),
  };

  function apiKey(found: [string, string] | undefined): Secret | undefined {
    if (!found) return undefined;
    const [name, value] = found;
    if (value.trim() === '') return undefined;
    if (/[\s\p{Cc}]/u.test(value) || value.length > 4096) {
      throw new ConfigError(name, value, 'expected the API key without spaces or line breaks', {
        secret: true,
      });
    }
    return new Secret(value);
  }
}

/** True when calls can be made: an API key is set (keyless local servers take any placeholder key). */
export function isLlmConfigured(config: LlmConfig): boolean {
  return config.apiKey !== undefined;
}

/** The first variable of `names` that is set, with its value. */
function read(env: Env, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) return [name, value];
  }
  return undefined;
}

function parse<T>(env: Env, names: string[], fallback: T, parser: (value: string) => T): T {
  const found = read(env, ...names);
  if (!found) return fallback;
  const [name, value] = found;
  try {
    return parser(value.trim());
  } catch (error) {
    throw new ConfigError(name, value, (error as Error).message);
  }
}

function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('expected an http(s) URL such as https://api.openai.com/v1 or http://localhost:11434/v1');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http or https URL');
  if (url.username || url.password) throw new Error('put credentials in BZZZ_OPENAI_API_KEY, not in the URL');
  return url.toString().replace(/\/+$/, '');
}

function model(value: string): string {
  if (/^[^\s\p{Cc}]{1,128}$/u.test(value)) return value;
  throw new Error('expected a model name (1 to 128 characters, no spaces)');
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (/^\d+$/.test(value) && parsed >= min && parsed <= max) return parsed;
    throw new Error(`expected an integer from ${min} to ${max}`);
  };
}

function decimal(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (/^\d+(\.\d+)?$/.test(value) && parsed >= min && parsed <= max) return parsed;
    throw new Error(`expected a number from ${min} to ${max}`);
  };
}

function limit(value: string): number | null {
  if (/^(none|off)$/i.test(value)) return null;
  const parsed = Number(value);
  if (/^\d+(\.\d+)?$/.test(value) && Number.isFinite(parsed)) return parsed;
  throw new Error('expected an amount in USD (e.g. 100 or 2.5) or "none"');
}

function threshold(value: string): number {
  const parsed = Number(value);
  if (/^\d+(\.\d+)?$/.test(value) && parsed > 0 && parsed <= 1) return parsed;
  throw new Error('expected a fraction of the limit, greater than 0 and at most 1 (e.g. 0.8)');
}
