import { BzzzError } from '../errors.js';
import type { ActualRevision, ExpectedRevision } from './types.js';

export const StoreErrorCode = {
  WrongExpectedRevision: 'WRONG_EXPECTED_REVISION',
  StreamDeleted: 'STREAM_DELETED',
  InvalidEvent: 'INVALID_EVENT',
  StoreUnavailable: 'STORE_UNAVAILABLE',
  InvalidArgument: 'INVALID_ARGUMENT',
} as const;

/** The stream's revision is not the one the writer expected; nothing was written. */
export class WrongExpectedRevisionError extends BzzzError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: ActualRevision,
  ) {
    super(
      StoreErrorCode.WrongExpectedRevision,
      `append to ${stream} expected revision ${expected} but the stream is at ${actual}`,
      { stream, expected, actual },
    );
  }
}

/** The stream was tombstoned: it can be neither read nor written again. */
export class StreamDeletedError extends BzzzError {
  constructor(readonly stream: string) {
    super(StoreErrorCode.StreamDeleted, `stream ${stream} is deleted for good (tombstoned)`, { stream });
  }
}

/** An event failed validation before anything was written. */
export class InvalidEventError extends BzzzError {
  constructor(reason: string, details: Record<string, string | number> = {}) {
    super(StoreErrorCode.InvalidEvent, `invalid event: ${reason}`, details);
  }
}

/** A read or write argument is malformed (stream name, revision, count…). */
export class InvalidArgumentError extends BzzzError {
  constructor(reason: string) {
    super(StoreErrorCode.InvalidArgument, reason);
  }
}

/** The store cannot serve the call now (closed, I/O failure, locked, unreachable); it may later. */
export class StoreUnavailableError extends BzzzError {
  constructor(reason: string, options?: ErrorOptions) {
    super(StoreErrorCode.StoreUnavailable, `event store unavailable: ${reason}`, {}, options);
  }
}
