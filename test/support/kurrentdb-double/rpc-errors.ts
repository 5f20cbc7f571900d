/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Failures as the server reports them: gRPC statuses with the `exception` metadata its RpcExceptions
 * attach (unary and streaming calls), and google.rpc.Status values with packed details for BatchAppend.
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ExpectedVersion } from './commit-check.js';
import { Any, ProtobufEmpty, sharedPb, statusPb, streamIdentifier } from './protocol.js';

function rpcError(code: GrpcStatus, details: string, entries: Record<string, string>): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata });
}

export function streamDeletedError(stream: string): ServiceError {
  return rpcError(GrpcStatus.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': stream,
  });
}

export function wrongExpectedVersionError(
  operation: string,
  stream: string,
  expected: bigint,
  actual: bigint,
): ServiceError {
  return rpcError(
    GrpcStatus.FAILED_PRECONDITION,
    `${operation} failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: ${expected}, Actual version: ${actual}`,
    {
      exception: 'wrong-expected-version',
      'stream-name': stream,
      'expected-version': expected.toString(),
      'actual-version': actual.toString(),
    },
  );
}

export function maximumAppendSizeError(limit: number): ServiceError {
  return rpcError(GrpcStatus.INVALID_ARGUMENT, `Maximum Append Size of ${limit} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(limit),
  });
}

export function invalidArgumentError(message: string): ServiceError {
  return rpcError(GrpcStatus.INVALID_ARGUMENT, message, {});
}

type RpcStatus = InstanceType<typeof statusPb.Status>;

function packedStatus(code: GrpcStatus, message: string, typeName: string, detail: Uint8Array): RpcStatus {
  const status = new statusPb.Status();
  status.setCode(code as number as ReturnType<RpcStatus['getCode']>);
  status.setMessage(message);
  const any = new Any();
  any.pack(detail, typeName);
  status.setDetails(any);
  return status;
}

/** BatchAppend's WrongExpectedVersion detail: current revision (or no stream) and the expectation. */
export function wrongExpectedVersionStatus(expected: bigint, current: bigint): RpcStatus {
  const detail = new sharedPb.WrongExpectedVersion();
  if (current < 0n) detail.setCurrentNoStream(new ProtobufEmpty());
  else detail.setCurrentStreamRevision(current.toString());
  if (expected === ExpectedVersion.Any) detail.setExpectedAny(new ProtobufEmpty());
  else if (expected === ExpectedVersion.NoStream) detail.setExpectedNoStream(new ProtobufEmpty());
  else if (expected === ExpectedVersion.StreamExists) detail.setExpectedStreamExists(new ProtobufEmpty());
  else detail.setExpectedStreamPosition(expected.toString());
  return packedStatus(
    GrpcStatus.FAILED_PRECONDITION,
    'WrongExpectedVersion',
    'event_store.client.WrongExpectedVersion',
    detail.serializeBinary(),
  );
}

export function streamDeletedStatus(stream: string): RpcStatus {
  const detail = new sharedPb.StreamDeleted();
  detail.setStreamIdentifier(streamIdentifier(stream));
  return packedStatus(
    GrpcStatus.FAILED_PRECONDITION,
    'Stream Deleted',
    'event_store.client.StreamDeleted',
    detail.serializeBinary(),
  );
}

export function maximumAppendSizeStatus(limit: number): RpcStatus {
  const detail = new sharedPb.MaximumAppendSizeExceeded();
  detail.setMaxappendsize(limit);
  return packedStatus(
    GrpcStatus.INVALID_ARGUMENT,
    'Maximum Append Size Exceeded',
    'event_store.client.MaximumAppendSizeExceeded',
    detail.serializeBinary(),
  );
}

export function badRequestStatus(message: string): RpcStatus {
  const detail = new sharedPb.BadRequest();
  detail.setMessage(message);
  return packedStatus(
    GrpcStatus.INVALID_ARGUMENT,
    message,
    'event_store.client.BadRequest',
    detail.serializeBinary(),
  );
}
