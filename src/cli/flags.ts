import { BzzzError } from '../errors.js';

/** A command line that is not accepted; main prints its one-line message and exits with 2. */
export class FlagError extends BzzzError {
  constructor(message: string, details: Record<string, string> = {}) {
    super('INVALID_FLAGS', message, details);
  }
}

/** Flags a command takes: each with a value (`--port 0`, `--port=0`) or a switch (`--verbose`). */
export type FlagSpec = Readonly<Record<string, 'value' | 'switch'>>;

export type ParsedFlags<S extends FlagSpec> = {
  [K in keyof S]?: S[K] extends 'value' ? string : boolean;
};

/**
 * Parses `--name value`, `--name=value` and `--switch`; an unknown flag, a missing value, a repeated
 * flag or a positional argument is a {@link FlagError} naming the command and what it accepts.
 */
export function parseFlags<S extends FlagSpec>(
  command: string,
  args: readonly string[],
  spec: S,
): ParsedFlags<S> {
  const accepted = Object.keys(spec).map((name) => `--${name}`);
  const acceptedText = accepted.length > 0 ? accepted.join(', ') : 'no flags';
  const parsed: Record<string, string | boolean> = {};
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('--') || arg === '--') {
      throw new FlagError(
        `${command}: unexpected argument ${JSON.stringify(arg)}; accepted: ${acceptedText}`,
        {
          argument: arg,
        },
      );
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      throw new FlagError(`${command}: unknown flag --${name}; accepted: ${acceptedText}`, {
        flag: `--${name}`,
      });
    }
    if (Object.hasOwn(parsed, name)) throw new FlagError(`${command}: --${name} is given more than once`);
    if (kind === 'switch') {
      if (equals !== -1) throw new FlagError(`${command}: --${name} takes no value`);
      parsed[name] = true;
      continue;
    }
    const value = equals === -1 ? args[++index] : arg.slice(equals + 1);
    if (value === undefined) throw new FlagError(`${command}: --${name} needs a value`);
    parsed[name] = value;
  }
  return parsed as ParsedFlags<S>;
}
