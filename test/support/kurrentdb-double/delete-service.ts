/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * Streams.Delete (soft delete: `$tb` of the metastream set to DeletedStream) and Streams.Tombstone
 * (hard delete), with the expected-revision check and the errors the server sends for them.
 */
import type { IStreamsServer } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js';
import { ExpectedVersion } from './commit-check.js';
import type { InMemoryLog, WriteOutcome } from './log.js';
import { empty, streamNameOf, streamsPb } from './protocol.js';
import { streamDeletedError, wrongExpectedVersionError } from './rpc-errors.js';

type DeleteOptions =
  InstanceType<typeof streamsPb.DeleteReq.Options> | InstanceType<typeof streamsPb.TombstoneReq.Options>;

function expectedOf(options: DeleteOptions): bigint {
  if (options.hasRevision()) return BigInt(options.getRevision());
  if (options.hasNoStream()) return ExpectedVersion.NoStream;
  if (options.hasStreamExists()) return ExpectedVersion.StreamExists;
  return ExpectedVersion.Any;
}

type Position = { commit: string; prepare: string } | undefined;

function settle(
  operation: string,
  stream: string,
  expected: bigint,
  outcome: WriteOutcome,
): { error: Error } | { position: Position } {
  if (outcome.kind === 'deleted') return { error: streamDeletedError(stream) };
  if (outcome.kind === 'wrong-expected-version') {
    return { error: wrongExpectedVersionError(operation, stream, expected, outcome.current) };
  }
  const position = outcome.position.toString();
  return { position: { commit: position, prepare: position } };
}

export function deleteHandlers(log: InMemoryLog): Pick<IStreamsServer, 'delete' | 'tombstone'> {
  return {
    delete(call, callback) {
      const options = call.request.getOptions()!;
      const stream = streamNameOf(options.getStreamIdentifier());
      const expected = expectedOf(options);
      const result = settle('Delete', stream, expected, log.softDelete(stream, expected));
      if ('error' in result) return callback(result.error);
      const response = new streamsPb.DeleteResp();
      if (result.position) {
        const position = new streamsPb.DeleteResp.Position();
        position.setCommitPosition(result.position.commit);
        position.setPreparePosition(result.position.prepare);
        response.setPosition(position);
      } else response.setNoPosition(empty());
      callback(null, response);
    },

    tombstone(call, callback) {
      const options = call.request.getOptions()!;
      const stream = streamNameOf(options.getStreamIdentifier());
      const expected = expectedOf(options);
      const result = settle('Tombstone', stream, expected, log.tombstone(stream, expected));
      if ('error' in result) return callback(result.error);
      const response = new streamsPb.TombstoneResp();
      if (result.position) {
        const position = new streamsPb.TombstoneResp.Position();
        position.setCommitPosition(result.position.commit);
        position.setPreparePosition(result.position.prepare);
        response.setPosition(position);
      } else response.setNoPosition(empty());
      callback(null, response);
    },
  };
}
