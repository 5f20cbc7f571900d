import { StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import type { PreparedEvent } from '../prepare-events.js';
import type { ActualRevision, AppendResult, ExpectedRevision } from '../types.js';
import { type StreamRow, StreamState } from './rows.js';
import type { Statements } from './statements.js';

export interface AppendJob {
  stream: string;
  events: PreparedEvent[];
  expected: ExpectedRevision;
}

/** The revision an expected-revision check compares with: a soft-deleted stream counts as absent. */
export function actualRevision(row: StreamRow): ActualRevision {
  if (row.state === StreamState.SoftDeleted || row.last_revision < 0) return 'no_stream';
  return row.last_revision;
}

export function expectationHolds(expected: ExpectedRevision, actual: ActualRevision): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/**
 * One append inside the caller's transaction: tombstone check, idempotent replay, expected-revision
 * check, then the inserts. Every check throws before anything is written, so a refused append needs no
 * rollback; an error during the inserts is a storage failure and fails the whole group.
 */
export function applyAppend(statements: Statements, job: AppendJob, recordedAt: number): AppendResult {
  const row = statements.stream.get({ stream: job.stream })!;
  if (row.state === StreamState.Tombstoned) throw new StreamDeletedError(job.stream);
  const actual = actualRevision(row);
  // As in KurrentDB, an append at exactly the current revision is a new write; and a stream without
  // events cannot hold these ids. Only other appends can be retries, so only they pay for the lookup.
  const mayBeRetry = row.last_revision >= 0 && job.expected !== actual;
  const replayed = mayBeRetry ? findPriorAppend(statements, job, actual) : undefined;
  if (replayed) return replayed;
  if (!expectationHolds(job.expected, actual)) {
    throw new WrongExpectedRevisionError(job.stream, job.expected, actual);
  }
  let revision = row.last_revision;
  let position = 0;
  for (const event of job.events) {
    revision++;
    const info = statements.insertEvent.run(
      job.stream,
      revision,
      event.id,
      event.type,
      event.dataText,
      event.metadataText,
      recordedAt,
    );
    position = Number(info.lastInsertRowid);
  }
  if (row.state === StreamState.SoftDeleted) statements.markLive.run(job.stream);
  return { nextExpectedRevision: revision, position: BigInt(position) };
}

/**
 * KurrentDB-style idempotency: when every event id of the append is already in the stream, in the
 * same order at consecutive revisions, the first result is returned and nothing is written. A partial
 * match is a conflict: the writer's view of the stream is wrong.
 */
function findPriorAppend(
  statements: Statements,
  job: AppendJob,
  actual: ActualRevision,
): AppendResult | undefined {
  const found = job.events.map((event) => statements.eventById.get(event.id, job.stream));
  if (found.every((hit) => hit === undefined)) return undefined;
  const first = found[0];
  const consecutive =
    first !== undefined && found.every((hit, i) => hit !== undefined && hit.revision === first.revision + i);
  const last = found[found.length - 1];
  if (!consecutive || !last) throw new WrongExpectedRevisionError(job.stream, job.expected, actual);
  return { nextExpectedRevision: last.revision, position: BigInt(last.position) };
}
