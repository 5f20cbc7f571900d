import { BzzzError } from '../errors.js';
import type { JsonObject } from '../events/json.js';

/**
 * Error codes of domain failures. The seed's codes (API reference, "Error codes") come first; the rest
 * name rejections the seed folds into INVALID_PARAMETERS or leaves unnamed.
 */
export const DomainErrorCode = {
  InvalidParameters: 'INVALID_PARAMETERS',
  AgentNotFound: 'AGENT_NOT_FOUND',
  ThreadNotFound: 'THREAD_NOT_FOUND',
  NetworkError: 'NETWORK_ERROR',
  OpenAiError: 'OPENAI_ERROR',
  CostLimitExceeded: 'COST_LIMIT_EXCEEDED',
  EscalationFailed: 'ESCALATION_FAILED',
  InvalidTransition: 'INVALID_TRANSITION',
  AgentExists: 'AGENT_EXISTS',
  MaxTasksReached: 'MAX_TASKS_REACHED',
  TaskNotFound: 'TASK_NOT_FOUND',
  ThreadClosed: 'THREAD_CLOSED',
  NotParticipant: 'NOT_PARTICIPANT',
  MessageNotFound: 'MESSAGE_NOT_FOUND',
  SubscriptionNotFound: 'SUBSCRIPTION_NOT_FOUND',
  InvalidAddress: 'INVALID_ADDRESS',
  ConcurrencyConflict: 'CONCURRENCY_CONFLICT',
  MachineVersionMismatch: 'MACHINE_VERSION_MISMATCH',
} as const;

export type DomainErrorCode = (typeof DomainErrorCode)[keyof typeof DomainErrorCode];

/** A command the domain refuses: nothing was appended. */
export class DomainError extends BzzzError {
  constructor(code: DomainErrorCode, message: string, details: JsonObject = {}) {
    super(code, message, details);
  }
}
