/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Streams.Read: counted reads of a stream or of `$all` (with a server-side filter), and catch-up
 * subscriptions. A subscription answers with a confirmation, then the events after its start (a
 * stream revision or an `$all` position, both exclusive; `end` means after the last record), then
 * "caught up", then live events in log order; filtered `$all` subscriptions also send checkpoints.
 * Writes respect the client's flow control.
 */
import { randomUUID } from 'node:crypto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { IStreamsServer } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js';
import type { InMemoryLog, LogRecord } from './log.js';
import { streamIdentifier, streamNameOf, streamsPb, Timestamp, uuidMessage } from './protocol.js';
import {
  type Direction,
  filterFrom,
  firstAtOrAfter,
  type PositionStart,
  readAll,
  readStream,
  type RecordFilter,
  type RevisionStart,
  visibleFrom,
} from './reads.js';
import { invalidArgumentError, streamDeletedError } from './rpc-errors.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type ReadCall = ServerWritableStream<ReadReq, ReadResp>;
type Options = InstanceType<typeof streamsPb.ReadReq.Options>;

const TICKS_PER_MS = 10_000n;
/** The server's default filter search window; checkpoints come every multiplier × window events. */
const FILTER_WINDOW = 32;

function eventResponse(record: LogRecord, structuredIds: boolean): ReadResp {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(record.id, structuredIds));
  recorded.setStreamIdentifier(streamIdentifier(record.stream));
  recorded.setStreamRevision(record.eventNumber.toString());
  recorded.setCommitPosition(record.position.toString());
  recorded.setPreparePosition(record.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.contentType);
  metadata.set('created', (BigInt(record.created) * TICKS_PER_MS).toString());
  recorded.setData(record.data);
  recorded.setCustomMetadata(record.metadata);
  const event = new streamsPb.ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(record.position.toString());
  const response = new streamsPb.ReadResp();
  response.setEvent(event);
  return response;
}

function now(): InstanceType<typeof Timestamp> {
  return Timestamp.fromDate(new Date());
}

/** Writes one message, waiting while the client's flow control says stop. False once the call is gone. */
async function send(call: ReadCall, message: ReadResp): Promise<boolean> {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(message)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
  return !call.cancelled && !call.destroyed;
}

function fail(call: ReadCall, error: Error): void {
  call.emit('error', error);
}

function revisionStart(options: InstanceType<typeof streamsPb.ReadReq.Options.StreamOptions>): RevisionStart {
  const Case = streamsPb.ReadReq.Options.StreamOptions.RevisionOptionCase;
  switch (options.getRevisionOptionCase()) {
    case Case.REVISION:
      return BigInt(options.getRevision());
    case Case.END:
      return 'end';
    default:
      return 'start';
  }
}

function positionStart(options: InstanceType<typeof streamsPb.ReadReq.Options.AllOptions>): PositionStart {
  const Case = streamsPb.ReadReq.Options.AllOptions.AllOptionCase;
  switch (options.getAllOptionCase()) {
    case Case.POSITION:
      return BigInt(options.getPosition()!.getCommitPosition());
    case Case.END:
      return 'end';
    default:
      return 'start';
  }
}

export function readHandlers(log: InMemoryLog): Pick<IStreamsServer, 'read'> {
  return {
    read(call) {
      const options = call.request.getOptions();
      if (!options) return fail(call, invalidArgumentError("'options' is a required argument"));
      const structuredIds =
        options.getUuidOption()?.getContentCase() ===
        streamsPb.ReadReq.Options.UUIDOption.ContentCase.STRUCTURED;
      const isAll = options.hasAll();
      const isSubscription = options.hasSubscription();
      const direction: Direction =
        options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS
          ? 'backwards'
          : 'forwards';
      const run = isSubscription
        ? isAll
          ? subscribeToAll(log, call, options, structuredIds)
          : subscribeToStream(log, call, options, structuredIds)
        : isAll
          ? countedAllRead(log, call, options, direction, structuredIds)
          : countedStreamRead(log, call, options, direction, structuredIds);
      run.catch((error: unknown) => fail(call, error as Error));
    },
  };
}

async function countedStreamRead(
  log: InMemoryLog,
  call: ReadCall,
  options: Options,
  direction: Direction,
  structuredIds: boolean,
): Promise<void> {
  const streamOptions = options.getStream()!;
  const stream = streamNameOf(streamOptions.getStreamIdentifier());
  const result = readStream(log, stream, revisionStart(streamOptions), direction, BigInt(options.getCount()));
  if (result.kind === 'deleted') return fail(call, streamDeletedError(stream));
  if (result.kind === 'not-found') {
    const notFound = new streamsPb.ReadResp.StreamNotFound();
    notFound.setStreamIdentifier(streamIdentifier(stream));
    const response = new streamsPb.ReadResp();
    response.setStreamNotFound(notFound);
    if (await send(call, response)) call.end();
    return;
  }
  for (const record of result.records) {
    if (!(await send(call, eventResponse(record, structuredIds)))) return;
  }
  call.end();
}

async function countedAllRead(
  log: InMemoryLog,
  call: ReadCall,
  options: Options,
  direction: Direction,
  structuredIds: boolean,
): Promise<void> {
  const filter = filterFrom(options.hasFilter() ? options.getFilter() : undefined);
  const from = positionStart(options.getAll()!);
  const records = readAll(log, from, direction, BigInt(options.getCount()), filter);
  for (const record of records) {
    if (!(await send(call, eventResponse(record, structuredIds)))) return;
  }
  call.end();
}

function confirmation(): ReadResp {
  const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(randomUUID());
  const response = new streamsPb.ReadResp();
  response.setConfirmation(confirmation);
  return response;
}

/**
 * Runs a subscription: `next` sends what lies after the subscription's cursor (advancing it), and
 * the first time it has sent everything, `caughtUp` is sent. Every write to the log wakes it again;
 * wake-ups during a send are coalesced, so events always go out once and in log order.
 */
async function runSubscription(
  log: InMemoryLog,
  call: ReadCall,
  next: () => Promise<'caught-up' | 'stop'>,
  caughtUp: () => ReadResp,
): Promise<void> {
  if (!(await send(call, confirmation()))) return;
  let pumping = false;
  let again = false;
  let sentCaughtUp = false;
  let stopped = false;
  let unsubscribe = () => {};
  const stop = () => {
    stopped = true;
    unsubscribe();
  };
  const pump = async () => {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        if ((await next()) === 'stop') return stop();
        if (!sentCaughtUp) {
          sentCaughtUp = true;
          if (!(await send(call, caughtUp()))) return stop();
        }
      } while (again && !stopped);
    } catch (error) {
      stop();
      fail(call, error as Error);
    } finally {
      pumping = false;
    }
  };
  unsubscribe = log.onWrite(() => void pump());
  call.on('cancelled', stop);
  call.on('close', stop);
  call.on('error', stop);
  await pump();
}

async function subscribeToStream(
  log: InMemoryLog,
  call: ReadCall,
  options: Options,
  structuredIds: boolean,
): Promise<void> {
  const streamOptions = options.getStream()!;
  const stream = streamNameOf(streamOptions.getStreamIdentifier());
  if (log.isTombstoned(stream)) return fail(call, streamDeletedError(stream));
  const start = revisionStart(streamOptions);
  const last = log.lastEventNumber(stream);
  // Catch-up reads honour the stream's metadata; a soft-deleted stream shows only what comes next.
  let cursor: bigint;
  if (start === 'end') cursor = last;
  else {
    cursor = start === 'start' ? -1n : start;
    const hiddenBelow = log.isSoftDeleted(stream) ? last + 1n : visibleFrom(log, stream).minEventNumber;
    if (cursor < hiddenBelow - 1n) cursor = hiddenBelow - 1n;
  }
  const next = async (): Promise<'caught-up' | 'stop'> => {
    const events = log.eventsOf(stream);
    for (let n = cursor + 1n; n < BigInt(events.length); n = cursor + 1n) {
      cursor = n;
      if (!(await send(call, eventResponse(events[Number(n)]!, structuredIds)))) return 'stop';
    }
    if (log.isTombstoned(stream)) {
      fail(call, streamDeletedError(stream));
      return 'stop';
    }
    return 'caught-up';
  };
  const caughtUp = () => {
    const message = new streamsPb.ReadResp.CaughtUp();
    message.setTimestamp(now());
    if (cursor >= 0n) message.setStreamRevision(cursor.toString());
    const response = new streamsPb.ReadResp();
    response.setCaughtUp(message);
    return response;
  };
  await runSubscription(log, call, next, caughtUp);
}

async function subscribeToAll(
  log: InMemoryLog,
  call: ReadCall,
  options: Options,
  structuredIds: boolean,
): Promise<void> {
  const start = positionStart(options.getAll()!);
  const filterOptions = options.hasFilter() ? options.getFilter() : undefined;
  const filter: RecordFilter = filterFrom(filterOptions);
  const checkpointEvery = filterOptions
    ? Math.max(1, filterOptions.getCheckpointintervalmultiplier()) * FILTER_WINDOW
    : Infinity;
  const records = log.records;
  let cursor = start === 'start' ? -1n : start === 'end' ? (records.at(-1)?.position ?? -1n) : start;
  let index = firstAtOrAfter(records, cursor + 1n);
  let examined = 0;
  const next = async (): Promise<'caught-up' | 'stop'> => {
    for (; index < records.length; index++) {
      const record = records[index]!;
      cursor = record.position;
      if (filter(record)) {
        if (!(await send(call, eventResponse(record, structuredIds)))) return 'stop';
      } else if (++examined >= checkpointEvery) {
        examined = 0;
        const checkpoint = new streamsPb.ReadResp.Checkpoint();
        checkpoint.setCommitPosition(record.position.toString());
        checkpoint.setPreparePosition(record.position.toString());
        checkpoint.setTimestamp(now());
        const response = new streamsPb.ReadResp();
        response.setCheckpoint(checkpoint);
        if (!(await send(call, response))) return 'stop';
      }
    }
    return 'caught-up';
  };
  const caughtUp = () => {
    const message = new streamsPb.ReadResp.CaughtUp();
    message.setTimestamp(now());
    if (cursor >= 0n) {
      const position = new streamsPb.ReadResp.Position();
      position.setCommitPosition(cursor.toString());
      position.setPreparePosition(cursor.toString());
      message.setPosition(position);
    }
    const response = new streamsPb.ReadResp();
    response.setCaughtUp(message);
    return response;
  };
  await runSubscription(log, call, next, caughtUp);
}
