/**
 * TEST FIXTURE — part of the in-process KurrentDB gRPC double (not a KurrentDB server).
 *
 * A loopback TCP relay in front of the gRPC server, so a test can cut every client connection at
 * once (as a server crash or a network drop would) while the server and its log live on, and can
 * refuse new connections for a while (the server is "down").
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export interface ConnectionProxy {
  port: number;
  /** Destroys every open connection; clients must reconnect. */
  dropConnections(): void;
  /** While refusing, new connections are cut as soon as they are accepted. */
  setRefusing(refusing: boolean): void;
  /** Connections cut because the proxy was refusing: tests wait on it to know clients kept trying. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startConnectionProxy(targetPort: number): Promise<ConnectionProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  let refusedCount = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (refusing) {
      refusedCount++;
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    port: address.port,
    dropConnections() {
      for (const socket of [...sockets]) socket.destroy();
    },
    setRefusing(value) {
      refusing = value;
    },
    get refused() {
      return refusedCount;
    },
    async close() {
      for (const socket of [...sockets]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
