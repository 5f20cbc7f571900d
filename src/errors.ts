import type { JsonObject } from './events/json.js';

/**
 * Base of every error bzzz raises on purpose: a stable machine-readable `code`, a human message and
 * JSON details. Anything else that escapes is a bug.
 */
export class BzzzError extends Error {
  readonly code: string;
  readonly details: JsonObject;

  constructor(code: string, message: string, details: JsonObject = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): JsonObject {
    return { code: this.code, error: this.message, details: this.details };
  }
}

export function isBzzzError(error: unknown, code?: string): error is BzzzError {
  return error instanceof BzzzError && (code === undefined || error.code === code);
}
