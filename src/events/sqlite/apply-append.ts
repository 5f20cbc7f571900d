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
export function actualRevision(row: StreamRow | undefined): ActualRevision {
  if (!row || row.state === StreamState.SoftDeleted || row.last_revision < 0) return 'no_stream';
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
 * check, then the inserts. Throws before writing anything when a check fails.
 */
export function applyAppend(statements: Statements, job: AppendJob, recordedAt: number): AppendResult {
  const row = statements.stream.get(job.stream);
  if (row?.state === StreamState.Tombstoned) throw new StreamDeletedError(job.stream);
  const actual = actualRevision(row);
  const replayed = findPriorAppend(statements, job, actual);
  if (replayed) return replayed;
  if (!expectationHolds(job.expected, actual)) {
    throw new WrongExpectedRevisionError(job.stream, job.expected, actual);
  }
  let revision = row ? row.last_revision : -1;
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
  statements.upsertStreamRevision.run(job.stream, revision);
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
