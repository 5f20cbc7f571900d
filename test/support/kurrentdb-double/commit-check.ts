/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * The server's decision on a write, following KurrentDB's IndexCommitter.CheckCommit: expected
 * version, soft deletes, tombstones and idempotency by event id. Expected versions use the server's
 * numbers: -2 any, -1 no stream, -4 stream exists, n an exact event number.
 */

export const ExpectedVersion = { Any: -2n, NoStream: -1n, StreamExists: -4n } as const;

export type CommitDecision =
  | { kind: 'ok'; current: bigint; softDeleted: boolean }
  | { kind: 'wrong-expected-version'; current: bigint }
  | { kind: 'deleted'; current: bigint }
  | { kind: 'idempotent'; current: bigint; first: bigint; last: bigint };

/** What the check needs to know about the stream being written. */
export interface StreamView {
  stream: string;
  /** Last event number; -1 when there is none; DELETED_STREAM when tombstoned. */
  lastEventNumber: bigint;
  isTombstoned: boolean;
  isSoftDeleted: boolean;
  /** The metastream has events (a stream with only metadata "exists" for stream_exists). */
  hasMetadata: boolean;
  /** Id of the event at an event number, if it exists. */
  idAt(eventNumber: bigint): string | undefined;
  /** Where an event id was committed (the server's committed-events cache). */
  committed(id: string): { stream: string; eventNumber: bigint } | undefined;
}

export function checkCommit(view: StreamView, expected: bigint, eventIds: readonly string[]): CommitDecision {
  const current = view.lastEventNumber;
  if (view.isTombstoned) return { kind: 'deleted', current };

  if (expected === ExpectedVersion.StreamExists) {
    if (view.isSoftDeleted) return { kind: 'deleted', current };
    if (current < 0n && !view.hasMetadata) return { kind: 'wrong-expected-version', current };
  }

  if (expected === ExpectedVersion.Any || expected === ExpectedVersion.StreamExists) {
    let first: bigint | undefined;
    let last = -1n;
    for (const id of eventIds) {
      const info = view.committed(id);
      if (!info || info.stream !== view.stream) {
        return first === undefined
          ? { kind: 'ok', current, softDeleted: view.isSoftDeleted }
          : { kind: 'wrong-expected-version', current }; // corrupted idempotency
      }
      first ??= info.eventNumber;
      last = info.eventNumber;
    }
    if (first === undefined) return { kind: 'ok', current, softDeleted: view.isSoftDeleted };
    return { kind: 'idempotent', current, first, last };
  }

  if (expected < current) {
    let eventNumber = expected;
    for (const id of eventIds) {
      eventNumber += 1n;
      const info = view.committed(id);
      const matches =
        (info !== undefined && info.stream === view.stream && info.eventNumber === eventNumber) ||
        view.idAt(eventNumber) === id;
      if (matches) continue;
      if (eventNumber !== expected + 1n) return { kind: 'wrong-expected-version', current }; // corrupted
      if (expected === ExpectedVersion.NoStream && view.isSoftDeleted) {
        return { kind: 'ok', current, softDeleted: true };
      }
      return { kind: 'wrong-expected-version', current };
    }
    if (eventNumber === expected) return { kind: 'wrong-expected-version', current };
    return { kind: 'idempotent', current, first: expected + 1n, last: eventNumber };
  }

  if (expected > current) return { kind: 'wrong-expected-version', current };
  return { kind: 'ok', current, softDeleted: view.isSoftDeleted };
}
