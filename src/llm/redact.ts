import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential (the API key). It prints, serialises and inspects as `[redacted]`: a config object that
 * ends up in a log line or an error's details cannot leak it. Only `reveal()` gives the value, and only
 * the HTTP client calls it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Bearer tokens and OpenAI-style keys (`sk-…`), wherever they appear in a text. */
const KEY_PATTERNS = [/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, /\bsk-[A-Za-z0-9_-]{8,}/g];

/**
 * `text` with every occurrence of the given secrets, bearer tokens and `sk-…` keys replaced by
 * `[redacted]`. Every message that leaves the LLM layer (events, logs, tool answers) goes through it:
 * servers echo keys in their error messages ("Incorrect API key provided: …").
 */
export function redact(text: string, secrets: readonly (Secret | string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    const value = secret instanceof Secret ? secret.reveal() : secret;
    // Short values would match innocent text; keys are long.
    if (value && value.length >= 6) result = result.split(value).join(REDACTED);
  }
  for (const pattern of KEY_PATTERNS) result = result.replace(pattern, REDACTED);
  return result;
}

/** A short, redacted, single-line description of anything thrown. */
export function describeError(
  error: unknown,
  secrets: readonly (Secret | string | undefined)[] = [],
): string {
  const message =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error);
  const line = message.replace(/\s+/g, ' ').trim();
  return redact(line.length > 500 ? `${line.slice(0, 499)}…` : line, secrets);
}
