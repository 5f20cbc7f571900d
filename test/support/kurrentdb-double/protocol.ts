/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * The protocol definitions the double speaks: the generated message classes and gRPC service
 * definitions that ship inside @kurrent/kurrentdb-client (its `generated/` folder), loaded from the
 * client package itself so the double and the client can never disagree on the wire format.
 */
import { createRequire } from 'node:module';

const fromHere = createRequire(import.meta.url);
/** Resolves what the client package itself resolves (google-protobuf is its dependency, not ours). */
const fromClient = createRequire(fromHere.resolve('@kurrent/kurrentdb-client'));
const V1 = '../generated/kurrentdb/protocols/v1';

export const streamsPb = fromClient(
  `${V1}/streams_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb.js');
export const streamsGrpc = fromClient(
  `${V1}/streams_grpc_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js');
export const sharedPb = fromClient(
  `${V1}/shared_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb.js');
export const statusPb = fromClient(
  `${V1}/status_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/status_pb.js');
export const serverFeaturesPb = fromClient(
  `${V1}/serverfeatures_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_pb.js');
export const serverFeaturesGrpc = fromClient(
  `${V1}/serverfeatures_grpc_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_grpc_pb.js');
export const gossipPb = fromClient(
  `${V1}/gossip_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/gossip_pb.js');
export const gossipGrpc = fromClient(
  `${V1}/gossip_grpc_pb.js`,
) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/gossip_grpc_pb.js');

export const { Any } = fromClient(
  'google-protobuf/google/protobuf/any_pb.js',
) as typeof import('google-protobuf/google/protobuf/any_pb.js');
export const { Empty: ProtobufEmpty } = fromClient(
  'google-protobuf/google/protobuf/empty_pb.js',
) as typeof import('google-protobuf/google/protobuf/empty_pb.js');
export const { Timestamp } = fromClient(
  'google-protobuf/google/protobuf/timestamp_pb.js',
) as typeof import('google-protobuf/google/protobuf/timestamp_pb.js');

export type Uuid = InstanceType<typeof sharedPb.UUID>;
export type StreamIdentifier = InstanceType<typeof sharedPb.StreamIdentifier>;

export function empty(): InstanceType<typeof sharedPb.Empty> {
  return new sharedPb.Empty();
}

export function streamIdentifier(name: string): StreamIdentifier {
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(name, 'utf8'));
  return identifier;
}

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
}

const U64 = (1n << 64n) - 1n;

/** A UUID in the form the reader asked for: a string, or the structured pair of signed 64-bit halves. */
export function uuidMessage(id: string, structured: boolean): Uuid {
  const uuid = new sharedPb.UUID();
  if (!structured) {
    uuid.setString(id);
    return uuid;
  }
  const hex = id.replace(/-/g, '');
  const signed = (half: string) => BigInt.asIntN(64, BigInt(`0x${half}`) & U64).toString();
  const value = new sharedPb.UUID.Structured();
  value.setMostSignificantBits(signed(hex.slice(0, 16)));
  value.setLeastSignificantBits(signed(hex.slice(16)));
  uuid.setStructured(value);
  return uuid;
}

/** The UUID a writer sent, as a lowercase string (both encodings are accepted, as by the server). */
export function uuidText(uuid: Uuid | undefined): string | undefined {
  if (!uuid) return undefined;
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const hex = (value: string) => (BigInt(value) & U64).toString(16).padStart(16, '0');
    const all = hex(structured.getMostSignificantBits()) + hex(structured.getLeastSignificantBits());
    return `${all.slice(0, 8)}-${all.slice(8, 12)}-${all.slice(12, 16)}-${all.slice(16, 20)}-${all.slice(20)}`;
  }
  return uuid.getString().toLowerCase();
}
