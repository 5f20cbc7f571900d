import { BzzzError } from '../errors.js';
import type { JsonObject } from '../events/json.js';

/** The seed's error codes for the LLM layer. */
export const LlmErrorCode = {
  OpenAiError: 'OPENAI_ERROR',
  CostLimitExceeded: 'COST_LIMIT_EXCEEDED',
  InvalidParameters: 'INVALID_PARAMETERS',
} as const;

/** Why a call ended without a completion. */
export type LlmFailureKind =
  | 'not_configured'
  | 'circuit_open'
  | 'timeout'
  | 'connection'
  | 'rate_limited'
  | 'server_error'
  | 'client_error'
  | 'malformed_response'
  | 'cancelled';

/**
 * A call that failed for good (retries spent or not worth it). The message is redacted and on one
 * line: it goes into TaskFailed events, logs and tool answers as it is.
 */
export class LlmCallError extends BzzzError {
  readonly kind: LlmFailureKind;
  readonly attempts: number;
  readonly status: number | null;

  constructor(
    kind: LlmFailureKind,
    message: string,
    options: { attempts?: number; status?: number | null } = {},
  ) {
    const details: JsonObject = { kind, attempts: options.attempts ?? 0 };
    if (options.status !== undefined && options.status !== null) details.status = options.status;
    super(LlmErrorCode.OpenAiError, message, details);
    this.kind = kind;
    this.attempts = options.attempts ?? 0;
    this.status = options.status ?? null;
  }
}

export const NOT_CONFIGURED_MESSAGE =
  'OpenAI API not configured: set OPENAI_API_KEY or BZZZ_OPENAI_API_KEY (and BZZZ_OPENAI_BASE_URL for another OpenAI-compatible server)';
