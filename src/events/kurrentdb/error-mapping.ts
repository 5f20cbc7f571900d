import {
  type AppendRecordSizeExceededError,
  ErrorType,
  isCommandError,
  type MaxAppendSizeExceededError,
  type WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { BzzzError } from '../../errors.js';
import {
  InvalidArgumentError,
  InvalidEventError,
  StoreUnavailableError,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../errors.js';
import type { ActualRevision, ExpectedRevision } from '../types.js';

type CommandError = Error & { type: string };

function commandError(error: unknown): CommandError | undefined {
  return isCommandError(error as Error) ? (error as CommandError) : undefined;
}

export function isWrongExpectedVersion(error: unknown): error is ClientWrongExpectedVersionError {
  return commandError(error)?.type === ErrorType.WRONG_EXPECTED_VERSION;
}

export function isStreamDeleted(error: unknown): boolean {
  const type = commandError(error)?.type;
  return type === ErrorType.STREAM_DELETED || type === ErrorType.STREAM_TOMBSTONED;
}

export function isStreamNotFound(error: unknown): boolean {
  return commandError(error)?.type === ErrorType.STREAM_NOT_FOUND;
}

/** Errors a retry cannot cure: the subscription or call must fail rather than reconnect. */
export function isPermanent(error: unknown): boolean {
  const type = commandError(error)?.type;
  return (
    (error instanceof BzzzError && !(error instanceof StoreUnavailableError)) ||
    type === ErrorType.ACCESS_DENIED ||
    type === ErrorType.STREAM_DELETED ||
    type === ErrorType.STREAM_TOMBSTONED
  );
}

/** Failures for want of a server (unreachable, dropped, busy, leader moved): trying again may work. */
export function isTransient(error: unknown): boolean {
  if (error instanceof BzzzError) return error instanceof StoreUnavailableError;
  const type = commandError(error)?.type;
  return (
    type === undefined ||
    type === ErrorType.UNAVAILABLE ||
    type === ErrorType.CANCELLED ||
    type === ErrorType.DEADLINE_EXCEEDED ||
    type === ErrorType.TIMEOUT ||
    type === ErrorType.NOT_LEADER ||
    type === ErrorType.UNKNOWN
  );
}

/** The revision the server reported in a conflict, in the port's terms. */
export function actualRevisionOf(error: ClientWrongExpectedVersionError): ActualRevision {
  const actual = error.actualState;
  if (typeof actual !== 'bigint' || actual < 0n) return 'no_stream';
  return Number(actual);
}

export function wrongExpectedRevision(
  stream: string,
  expected: ExpectedRevision,
  error: ClientWrongExpectedVersionError,
): WrongExpectedRevisionError {
  return new WrongExpectedRevisionError(stream, expected, actualRevisionOf(error));
}

/**
 * Any failure of a KurrentDB call as one of the port's typed errors. Conflicts need the caller's
 * expected revision, so callers map those first (see wrongExpectedRevision).
 */
export function toStoreError(error: unknown, stream?: string): Error {
  if (error instanceof BzzzError) return error;
  const command = commandError(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (command?.type) {
    case ErrorType.STREAM_DELETED:
    case ErrorType.STREAM_TOMBSTONED:
      return new StreamDeletedError(
        stream ?? (command as unknown as { streamName?: string }).streamName ?? '',
      );
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED: {
      const limit = (command as MaxAppendSizeExceededError).maxAppendSize;
      return new InvalidEventError(`the append is over the server's limit of ${limit} bytes per append`, {
        limit,
      });
    }
    case ErrorType.APPEND_RECORD_SIZE_EXCEEDED: {
      const { maxSize, size } = command as AppendRecordSizeExceededError;
      return new InvalidEventError(`an event is ${size} bytes, over the server's ${maxSize}-byte limit`, {
        size,
        limit: maxSize,
      });
    }
    case ErrorType.INVALID_ARGUMENT:
      return new InvalidArgumentError(message);
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const conflict = command as unknown as ClientWrongExpectedVersionError;
      const expected = conflict.expectedState;
      return new WrongExpectedRevisionError(
        stream ?? conflict.streamName ?? '',
        typeof expected === 'bigint' ? Number(expected) : ((expected ?? 'any') as ExpectedRevision),
        actualRevisionOf(conflict),
      );
    }
    case ErrorType.ACCESS_DENIED:
      return new StoreUnavailableError(`KurrentDB denied access (${message})`, { cause: error });
    default:
      return new StoreUnavailableError(`KurrentDB: ${message || 'unknown failure'}`, { cause: error });
  }
}
