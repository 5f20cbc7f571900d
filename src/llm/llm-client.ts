import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { CircuitBreaker } from './circuit-breaker.js';
import { DEFAULT_BASE_URL } from './llm-config.js';
import { LlmCallError, type LlmFailureKind } from './llm-errors.js';
import { describeError, redact, type Secret } from './redact.js';
import { backoffMs, isRetryableStatus, retryAfterMs, sleep } from './retry-policy.js';
import type { ChatMessage } from './task-prompts.js';
import { type CallUsage, usageOfResponse } from './usage.js';

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  /** Left out of the request when undefined. */
  temperature?: number;
  /** Aborting it aborts the HTTP request in flight and the wait between attempts. */
  signal?: AbortSignal;
}

export interface ChatCompletion {
  content: string;
  /** The model the server says answered (may be a dated snapshot of the requested one). */
  responseModel: string;
  finishReason: string;
  responseId: string | null;
  /** Undefined when the server reported no usage. */
  usage: CallUsage | undefined;
  attempts: number;
}

export type LlmLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface LlmClientOptions {
  baseUrl: string;
  apiKey: Secret;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryDelayMs: number;
  /** The breaker of `baseUrl`. */
  breaker: CircuitBreaker;
  log?: LlmLog;
}

/** How one attempt failed, and what to do about it. */
interface AttemptFailure {
  kind: LlmFailureKind;
  message: string;
  status: number | null;
  retryable: boolean;
  /** Whether it counts against the endpoint's health (opens the breaker). */
  unhealthy: boolean;
  retryAfterMs?: number | undefined;
}

/**
 * Chat completions through the `openai` client against any OpenAI-compatible base URL. The SDK's own
 * retries are off: this client retries (408, 409, 429, 5xx, timeouts, connection errors) with
 * exponential backoff or the server's Retry-After, at most `maxRetries` times, each attempt bounded by
 * `timeoutMs` (headers and body), each attempt asking the base URL's circuit breaker first. Every error
 * it throws is an {@link LlmCallError} with a redacted one-line message.
 */
export class LlmClient {
  readonly #openai: OpenAI;
  readonly #options: LlmClientOptions;
  readonly #maxTokensField: 'max_completion_tokens' | 'max_tokens';

  constructor(options: LlmClientOptions) {
    this.#options = options;
    this.#openai = new OpenAI({
      apiKey: options.apiKey.reveal(),
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: 0,
      logLevel: 'off',
    });
    // OpenAI's own API wants max_completion_tokens (reasoning models refuse max_tokens); compatible
    // servers (Ollama, vLLM, llama.cpp) all read max_tokens.
    this.#maxTokensField = isOpenAi(options.baseUrl) ? 'max_completion_tokens' : 'max_tokens';
  }

  async complete(request: ChatRequest): Promise<ChatCompletion> {
    const { breaker, maxRetries } = this.#options;
    for (let attempt = 1; ; attempt++) {
      if (request.signal?.aborted) throw cancelled(attempt - 1);
      if (!breaker.tryAcquire()) {
        const seconds = Math.ceil(breaker.retryInMs / 1000);
        throw new LlmCallError(
          'circuit_open',
          `circuit open for ${this.#options.baseUrl} after repeated failures: no request sent (next probe in ${seconds}s)`,
          { attempts: attempt - 1 },
        );
      }
      const outcome = await this.#attempt(request);
      if ('content' in outcome) {
        breaker.success();
        return { ...outcome, attempts: attempt };
      }
      if (outcome.unhealthy) breaker.failure();
      else breaker.neutral();
      const after = attempt > 1 ? ` (after ${attempt} attempts)` : '';
      if (!outcome.retryable || attempt > maxRetries) {
        throw new LlmCallError(outcome.kind, `${outcome.message}${after}`, {
          attempts: attempt,
          status: outcome.status,
        });
      }
      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > this.#options.maxRetryDelayMs) {
        throw new LlmCallError(
          outcome.kind,
          `${outcome.message}: the server asks to retry in ${Math.ceil(outcome.retryAfterMs / 1000)}s, longer than this node waits${after}`,
          { attempts: attempt, status: outcome.status },
        );
      }
      const wait = outcome.retryAfterMs ?? backoffMs(attempt, this.#options.retryBaseMs);
      this.#options.log?.('warn', `attempt ${attempt} failed: ${outcome.message}; retrying in ${wait} ms`);
      try {
        await sleep(wait, request.signal);
      } catch {
        throw cancelled(attempt);
      }
    }
  }

  async #attempt(request: ChatRequest): Promise<Omit<ChatCompletion, 'attempts'> | AttemptFailure> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, this.#options.timeoutMs);
    const onAbort = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const body = {
        model: request.model,
        messages: request.messages,
        [this.#maxTokensField]: request.maxTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      };
      const response: unknown = await this.#openai.chat.completions.create(
        body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
        { signal: controller.signal, maxRetries: 0 },
      );
      return (
        completionOf(response) ?? {
          kind: 'malformed_response',
          message: 'malformed response: no choices[0].message in the body',
          status: null,
          retryable: false,
          unhealthy: true,
        }
      );
    } catch (error) {
      return this.#classify(error, timedOut, request.signal?.aborted === true);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  #classify(error: unknown, timedOut: boolean, aborted: boolean): AttemptFailure {
    const secrets = [this.#options.apiKey];
    const timeout = `no response within ${this.#options.timeoutMs} ms`;
    if (timedOut) return failure('timeout', timeout, true, true);
    if (aborted || error instanceof APIUserAbortError)
      return failure('cancelled', 'request cancelled', false, false);
    if (error instanceof APIConnectionTimeoutError) return failure('timeout', timeout, true, true);
    if (error instanceof APIConnectionError) {
      const cause = error.cause instanceof Error ? describeError(error.cause, secrets) : error.message;
      return failure('connection', `connection failed: ${redact(cause, secrets)}`, true, true);
    }
    if (error instanceof APIError && typeof error.status === 'number') {
      const status = error.status;
      const message = `HTTP ${status} from the API: ${describeError(error, secrets).replace(/^\w*Error: /, '')}`;
      const wait = retryAfterMs(error.headers);
      if (status === 429)
        return { ...failure('rate_limited', message, true, false, status), retryAfterMs: wait };
      if (isRetryableStatus(status))
        return { ...failure('server_error', message, true, true, status), retryAfterMs: wait };
      return failure('client_error', message, false, false, status);
    }
    return failure('malformed_response', `malformed response: ${describeError(error, secrets)}`, false, true);
  }
}

function failure(
  kind: LlmFailureKind,
  message: string,
  retryable: boolean,
  unhealthy: boolean,
  status: number | null = null,
): AttemptFailure {
  return { kind, message, status, retryable, unhealthy };
}

function cancelled(attempts: number): LlmCallError {
  return new LlmCallError('cancelled', 'request cancelled', { attempts });
}

/** Reasoning models (gpt-5…, o1/o3/o4…) accept no temperature but the default: it is left out for them. */
export function isReasoningModel(model: string): boolean {
  return /^(gpt-5|o\d)/.test(model);
}

function isOpenAi(baseUrl: string): boolean {
  return new URL(baseUrl).hostname === new URL(DEFAULT_BASE_URL).hostname;
}

/** The completion in a response body, or undefined when the body is not a chat completion. */
function completionOf(response: unknown): Omit<ChatCompletion, 'attempts'> | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const body = response as Record<string, unknown>;
  const choice = Array.isArray(body.choices)
    ? (body.choices[0] as Record<string, unknown> | undefined)
    : undefined;
  const message = choice?.message as Record<string, unknown> | undefined;
  if (typeof message !== 'object' || message === null) return undefined;
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') return undefined;
  return {
    content: content ?? (typeof message.refusal === 'string' ? message.refusal : ''),
    responseModel: typeof body.model === 'string' ? body.model : '',
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : 'unknown',
    responseId: typeof body.id === 'string' ? body.id : null,
    usage: usageOfResponse(body),
  };
}
