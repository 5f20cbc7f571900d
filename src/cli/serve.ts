import { type BzzzConfig, withListenOverrides } from '../config/config.js';
import { RequestCounter, startHttpServer } from '../http/http-server.js';
import { buildRestRoutes } from '../http/rest-routes.js';
import { startBzzzNode } from '../node/bzzz-node.js';
import { parseFlags } from './flags.js';

/**
 * `bzzz serve [--host H] [--port P]`: starts the node (store, actors, projections) and its HTTP server,
 * runs until SIGINT/SIGTERM, then closes the server and the node cleanly.
 */
export async function serve(config: BzzzConfig, args: readonly string[] = []): Promise<number> {
  const flags = parseFlags('serve', args, { host: 'value', port: 'value' });
  const effective = withListenOverrides(config, flags);
  // Listen for signals before saying we are up, so a supervisor that reacts to the line can stop us.
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const node = startBzzzNode(effective);
    let http;
    try {
      const counter = new RequestCounter();
      http = await startHttpServer({
        host: effective.host,
        port: effective.port,
        counter,
        routes: buildRestRoutes(node, {
          storeKind: effective.store.kind,
          requestCounts: () => counter.snapshot(),
        }),
      });
    } catch (error) {
      await node.close();
      throw error;
    }
    const where =
      effective.store.kind === 'sqlite' ? `embedded store at ${effective.store.path}` : 'KurrentDB store';
    console.log(`bzzz: node ${node.identity.nodeId} serving ${http.url} (${where})`);
    const signal = await stopped;
    await http.close();
    await node.close();
    console.log(`bzzz: ${signal} received, store closed`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
