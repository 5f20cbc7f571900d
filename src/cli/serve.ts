import type { BzzzConfig } from '../config/config.js';
import { openEventStore } from '../events/open-store.js';
import { loadOrCreateNodeIdentity } from '../identity/node-identity.js';

/** Runs the node until a termination signal, then closes the store cleanly. */
export async function serve(config: BzzzConfig): Promise<number> {
  // Listen for signals before saying we are up, so a supervisor that reacts to the line can stop us.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const identity = loadOrCreateNodeIdentity(config.dataDir);
  const store = openEventStore(config, identity.nodeId);
  // Nothing else holds the event loop open until the MCP server lands.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const where = config.store.kind === 'sqlite' ? `embedded store at ${config.store.path}` : 'KurrentDB';
  console.log(`bzzz: node ${identity.nodeId} serving, ${where} (synchronous=${config.synchronous})`);
  const signal = await stopped;
  clearInterval(keepAlive);
  await store.close();
  console.log(`bzzz: ${signal} received, store closed`);
  return 0;
}
