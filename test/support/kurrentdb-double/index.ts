/**
 * TEST FIXTURE: an in-process gRPC double of a single KurrentDB node — NOT a KurrentDB server.
 *
 * It implements the services @kurrent/kurrentdb-client calls (ServerFeatures.GetSupportedMethods,
 * Gossip.Read, Streams.Append/BatchAppend/Read/Delete/Tombstone, including `$all`, server-side filters
 * and catch-up subscriptions) over an in-memory log, from the protocol definitions that ship with the
 * client, following the server's documented semantics for revisions, expected versions, idempotency,
 * positions, stream metadata, deletes and subscription ordering. Insecure, loopback only. Tests use it
 * to run the event-store contract through the real client without a server.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { appendHandlers } from './append-service.js';
import { type DoubleFeatures, gossipHandlers, serverFeaturesHandlers } from './cluster-services.js';
import { startConnectionProxy } from './connection-proxy.js';
import { deleteHandlers } from './delete-service.js';
import { InMemoryLog } from './log.js';
import { gossipGrpc, serverFeaturesGrpc, streamsGrpc } from './protocol.js';
import { readHandlers } from './read-service.js';

export interface KurrentDbDoubleOptions extends DoubleFeatures {
  /** The double's clock (ms since the epoch) for `created` and `$maxAge`. */
  clock?: () => number;
}

export interface KurrentDbDouble {
  /**
   * `kurrentdb://127.0.0.1:<port>?tls=false&discoveryInterval=10`: insecure, and a short node
   * discovery interval (the native reader of the client otherwise waits half a second before it
   * first connects, and again before each reconnection).
   */
  connectionString: string;
  host: string;
  port: number;
  log: InMemoryLog;
  /** Cuts every client connection now; the log is kept and clients may reconnect. */
  dropConnections(): void;
  /** While unreachable, connections are cut as soon as they open (the server is down). */
  setUnreachable(unreachable: boolean): void;
  /** Connections refused while unreachable. */
  readonly refusedConnections: number;
  stop(): Promise<void>;
}

export async function startKurrentDbDouble(options: KurrentDbDoubleOptions = {}): Promise<KurrentDbDouble> {
  const log = new InMemoryLog(options.clock);
  const server = new Server({
    'grpc.max_receive_message_length': 17 * 1024 * 1024,
    'grpc.max_send_message_length': 17 * 1024 * 1024,
  });
  const host = '127.0.0.1';
  let publicPort = 0;
  server.addService(serverFeaturesGrpc.ServerFeaturesService, serverFeaturesHandlers(options));
  server.addService(
    gossipGrpc.GossipService,
    gossipHandlers(() => ({ host, port: publicPort })),
  );
  server.addService(streamsGrpc.StreamsService, {
    ...readHandlers(log),
    ...appendHandlers(log),
    ...deleteHandlers(log),
  });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
  const proxy = await startConnectionProxy(grpcPort);
  publicPort = proxy.port;
  return {
    connectionString: `kurrentdb://${host}:${publicPort}?tls=false&discoveryInterval=10`,
    host,
    port: publicPort,
    log,
    dropConnections: () => proxy.dropConnections(),
    setUnreachable: (unreachable) => proxy.setRefusing(unreachable),
    get refusedConnections() {
      return proxy.refused;
    },
    async stop() {
      await proxy.close();
      server.forceShutdown();
    },
  };
}
