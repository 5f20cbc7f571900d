/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * What a client asks before anything else: ServerFeatures.GetSupportedMethods (which decides, for
 * instance, whether appends go through BatchAppend) and, for `+discover` connection strings,
 * Gossip.Read (a one-node cluster whose only member is the leader, at the double's address).
 */
import { randomUUID } from 'node:crypto';
import type { IGossipServer } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/gossip_grpc_pb.js';
import type { IServerFeaturesServer } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_grpc_pb.js';
import { gossipPb, serverFeaturesPb, uuidMessage } from './protocol.js';

/** The server version the double reports (a KurrentDB whose v1 protocol the double follows). */
export const DOUBLE_SERVER_VERSION = '24.10.0';

export interface DoubleFeatures {
  /** Advertise Streams.BatchAppend, which the client then prefers over Streams.Append. Default true. */
  batchAppend?: boolean;
}

export function serverFeaturesHandlers(features: DoubleFeatures): IServerFeaturesServer {
  // The server lists its methods in lower case, as the clients compare them.
  const methods: [string, string, string[]][] = [
    ['event_store.client.streams.streams', 'read', ['position', 'events']],
    ['event_store.client.streams.streams', 'append', []],
    ['event_store.client.streams.streams', 'delete', []],
    ['event_store.client.streams.streams', 'tombstone', []],
    ['event_store.client.server_features.serverfeatures', 'getsupportedmethods', []],
    ['event_store.client.gossip.gossip', 'read', []],
  ];
  if (features.batchAppend !== false) {
    methods.push(['event_store.client.streams.streams', 'batchappend', ['deadline_duration']]);
  }
  return {
    getSupportedMethods(_call, callback) {
      const supported = new serverFeaturesPb.SupportedMethods();
      supported.setEventStoreServerVersion(DOUBLE_SERVER_VERSION);
      for (const [service, method, featureList] of methods) {
        const entry = new serverFeaturesPb.SupportedMethod();
        entry.setServiceName(service);
        entry.setMethodName(method);
        entry.setFeaturesList(featureList);
        supported.addMethods(entry);
      }
      callback(null, supported);
    },
  };
}

export function gossipHandlers(endpoint: () => { host: string; port: number }): IGossipServer {
  const instanceId = randomUUID();
  return {
    read(_call, callback) {
      const { host, port } = endpoint();
      const address = new gossipPb.EndPoint();
      address.setAddress(host);
      address.setPort(port);
      const member = new gossipPb.MemberInfo();
      member.setInstanceId(uuidMessage(instanceId, true));
      member.setTimeStamp((BigInt(Date.now()) * 10_000n).toString());
      member.setState(gossipPb.MemberInfo.VNodeState.LEADER);
      member.setIsAlive(true);
      member.setHttpEndPoint(address);
      const cluster = new gossipPb.ClusterInfo();
      cluster.setMembersList([member]);
      callback(null, cluster);
    },
  };
}
