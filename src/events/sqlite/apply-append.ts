import { StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import type { PreparedEvent } from '../prepare-events.js';
import type { ActualRevision, AppendResult, ExpectedRevision } from '../types.js';
import { type PriorEventRow, type StreamRow, StreamState } from './rows.js';
import type { Statements } from './statements.js';
import type { StreamRows } from './stream-cache.js';

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
export function applyAppend(
  statements: Statements,
  streams: StreamRows,
  job: AppendJob,
  recordedAt: number,
): AppendResult {
  const row = streams.get(job.stream);
  if (row.state === StreamState.Tombstoned) throw new StreamDeletedError(job.stream);
  const actual = actualRevision(row);
  // As in KurrentDB, an append at exactly the current revision is a new write; and a stream without
  // events cannot hold these ids. Only other appends can be retries, so only they pay for the lookup.
  const mayBeRetry = row.last_revision >= 0 && job.expected !== actual;
  const replayed = mayBeRetry ? findPriorAppend(statements, job, row, actual) : undefined;
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
  streams.appended(job.stream, revision);
  return { nextExpectedRevision: revision, position: BigInt(position) };
}

/**
 * How many of a stream's last events an `any` or `stream_exists` retry is looked for in. KurrentDB too
 * only does its best for `any`; an exact or `no_stream` retry is found wherever it is, by revision.
 */
export const RETRY_WINDOW = 1000;

/**
 * KurrentDB-style idempotency: when every event id of the append is already in the stream, in the
 * same order at consecutive revisions, the first result is returned and nothing is written. A partial
 * match is a conflict: the writer's view of the stream is wrong. There is no index on event ids: a retry
 * with an exact expected revision (or `no_stream`) can only have landed right after that revision (or at
 * the start of the stream), so only those rows are read; other retries are looked for in the last
 * RETRY_WINDOW events.
 */
function findPriorAppend(
  statements: Statements,
  job: AppendJob,
  row: StreamRow,
  actual: ActualRevision,
): AppendResult | undefined {
  const ids = job.events.map((event) => event.id);
  const wanted = new Set(ids);
  const hits = candidates(statements, job, row)
    .filter((candidate) => wanted.has(candidate.event_id))
    .sort((a, b) => a.revision - b.revision);
  const first = hits[0];
  const last = hits[hits.length - 1];
  if (!first || !last) return undefined;
  const same =
    hits.length === ids.length &&
    hits.every((hit, i) => hit.event_id === ids[i] && hit.revision === first.revision + i);
  if (!same) throw new WrongExpectedRevisionError(job.stream, job.expected, actual);
  return { nextExpectedRevision: last.revision, position: BigInt(last.position) };
}

/** The rows a retry of this append could have written. */
function candidates(statements: Statements, job: AppendJob, row: StreamRow): PriorEventRow[] {
  const count = job.events.length;
  if (typeof job.expected === 'number')
    return statements.eventIdsFrom.all(job.stream, job.expected + 1, count);
  if (job.expected === 'no_stream') return statements.eventIdsFrom.all(job.stream, row.hidden_before, count);
  return statements.lastEventIds.all(job.stream, Math.max(RETRY_WINDOW, count));
}
