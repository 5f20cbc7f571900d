/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Streams.Append (client streaming: options, then proposed messages) and Streams.BatchAppend (bidi:
 * correlated requests, each answered when its final chunk arrives), over the in-memory log. Both
 * refuse an append over the server's maximum append size, measured as the server measures events.
 */
import type { IStreamsServer } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js';
import { ExpectedVersion } from './commit-check.js';
import type { InMemoryLog, ProposedEvent, WriteOutcome } from './log.js';
import {
  empty,
  ProtobufEmpty,
  sharedPb,
  streamIdentifier,
  streamNameOf,
  streamsPb,
  uuidText,
} from './protocol.js';
import {
  badRequestStatus,
  invalidArgumentError,
  maximumAppendSizeError,
  maximumAppendSizeStatus,
  streamDeletedError,
  streamDeletedStatus,
  wrongExpectedVersionStatus,
} from './rpc-errors.js';

/** KurrentDB's default MaxAppendSize: 1 MiB for all the events of one append. */
export const MAX_APPEND_SIZE = 1024 * 1024;

type Proposed =
  | InstanceType<typeof streamsPb.AppendReq.ProposedMessage>
  | InstanceType<typeof streamsPb.BatchAppendReq.ProposedMessage>;

function toProposedEvent(message: Proposed): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  const id = uuidText(message.getId());
  if (type === undefined || contentType === undefined || id === undefined) {
    throw new Error("Required Metadata Property 'type' or 'content-type' (or the id) is missing");
  }
  return {
    id,
    type,
    contentType,
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

/** The server's Event.SizeOnDisk: data, metadata and the type name (as UTF-16). */
function sizeOnDisk(event: ProposedEvent): number {
  return event.data.length + event.metadata.length + event.type.length * 2;
}

function appendSize(events: readonly ProposedEvent[]): number {
  return events.reduce((total, event) => total + sizeOnDisk(event), 0);
}

function expectedFromAppendOptions(options: InstanceType<typeof streamsPb.AppendReq.Options>): bigint {
  const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
  switch (options.getExpectedStreamRevisionCase()) {
    case Case.REVISION:
      return BigInt(options.getRevision());
    case Case.NO_STREAM:
      return ExpectedVersion.NoStream;
    case Case.STREAM_EXISTS:
      return ExpectedVersion.StreamExists;
    default:
      return ExpectedVersion.Any;
  }
}

function expectedFromBatchOptions(options: InstanceType<typeof streamsPb.BatchAppendReq.Options>): bigint {
  const Case = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
  switch (options.getExpectedStreamPositionCase()) {
    case Case.STREAM_POSITION:
      return BigInt(options.getStreamPosition());
    case Case.NO_STREAM:
      return ExpectedVersion.NoStream;
    case Case.STREAM_EXISTS:
      return ExpectedVersion.StreamExists;
    default:
      return ExpectedVersion.Any;
  }
}

function appendSuccess(outcome: Extract<WriteOutcome, { kind: 'written' }>) {
  const success = new streamsPb.AppendResp.Success();
  success.setCurrentRevision(outcome.lastEventNumber.toString());
  if (outcome.position < 0n) success.setNoPosition(empty());
  else {
    const position = new streamsPb.AppendResp.Position();
    position.setCommitPosition(outcome.position.toString());
    position.setPreparePosition(outcome.position.toString());
    success.setPosition(position);
  }
  const response = new streamsPb.AppendResp();
  response.setSuccess(success);
  return response;
}

function appendWrongExpectedVersion(expected: bigint, current: bigint) {
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (current < 0n) wrong.setCurrentNoStream(empty());
  else wrong.setCurrentRevision(current.toString());
  if (expected === ExpectedVersion.Any) wrong.setExpectedAny(empty());
  else if (expected === ExpectedVersion.NoStream) wrong.setExpectedNoStream(empty());
  else if (expected === ExpectedVersion.StreamExists) wrong.setExpectedStreamExists(empty());
  else wrong.setExpectedRevision(expected.toString());
  const response = new streamsPb.AppendResp();
  response.setWrongExpectedVersion(wrong);
  return response;
}

export function appendHandlers(log: InMemoryLog): Pick<IStreamsServer, 'append' | 'batchAppend'> {
  return {
    append(call, callback) {
      let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined;
      const events: ProposedEvent[] = [];
      let failure: Error | undefined;
      call.on('data', (request: InstanceType<typeof streamsPb.AppendReq>) => {
        if (failure) return;
        try {
          if (request.hasOptions()) options = request.getOptions();
          else if (request.hasProposedMessage()) events.push(toProposedEvent(request.getProposedMessage()!));
        } catch (error) {
          failure = error as Error;
        }
      });
      call.on('end', () => {
        if (failure || !options) {
          callback(invalidArgumentError(failure?.message ?? 'the first message must carry the options'));
          return;
        }
        if (appendSize(events) > MAX_APPEND_SIZE) {
          callback(maximumAppendSizeError(MAX_APPEND_SIZE));
          return;
        }
        const stream = streamNameOf(options.getStreamIdentifier());
        const expected = expectedFromAppendOptions(options);
        const outcome = log.append(stream, expected, events);
        if (outcome.kind === 'deleted') callback(streamDeletedError(stream));
        else if (outcome.kind === 'wrong-expected-version')
          callback(null, appendWrongExpectedVersion(expected, outcome.current));
        else callback(null, appendSuccess(outcome));
      });
    },

    batchAppend(call) {
      const pending = new Map<string, { stream: string; expected: bigint; events: ProposedEvent[] }>();
      call.on('data', (request: InstanceType<typeof streamsPb.BatchAppendReq>) => {
        const key = uuidText(request.getCorrelationId()) ?? '';
        const respond = (fill: (response: InstanceType<typeof streamsPb.BatchAppendResp>) => void) => {
          const write = pending.get(key);
          pending.delete(key);
          const response = new streamsPb.BatchAppendResp();
          response.setCorrelationId(request.getCorrelationId());
          response.setStreamIdentifier(streamIdentifier(write?.stream ?? ''));
          fill(response);
          if (!call.cancelled) call.write(response);
        };
        try {
          if (request.hasOptions()) {
            const options = request.getOptions()!;
            pending.set(key, {
              stream: streamNameOf(options.getStreamIdentifier()),
              expected: expectedFromBatchOptions(options),
              events: [],
            });
          }
          const write = pending.get(key);
          if (!write) return;
          write.events.push(...request.getProposedMessagesList().map(toProposedEvent));
          if (appendSize(write.events) > MAX_APPEND_SIZE) {
            respond((response) => response.setError(maximumAppendSizeStatus(MAX_APPEND_SIZE)));
            return;
          }
          if (!request.getIsFinal()) return;
          const outcome = log.append(write.stream, write.expected, write.events);
          respond((response) => {
            if (outcome.kind === 'deleted') response.setError(streamDeletedStatus(write.stream));
            else if (outcome.kind === 'wrong-expected-version') {
              response.setError(wrongExpectedVersionStatus(write.expected, outcome.current));
            } else {
              const success = new streamsPb.BatchAppendResp.Success();
              success.setCurrentRevision(outcome.lastEventNumber.toString());
              if (outcome.position < 0n) success.setNoPosition(new ProtobufEmpty());
              else {
                const position = new sharedPb.AllStreamPosition();
                position.setCommitPosition(outcome.position.toString());
                position.setPreparePosition(outcome.position.toString());
                success.setPosition(position);
              }
              response.setSuccess(success);
            }
          });
        } catch (error) {
          respond((response) => response.setError(badRequestStatus((error as Error).message)));
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => pending.clear());
    },
  };
}
