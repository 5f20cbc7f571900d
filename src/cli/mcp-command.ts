import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { BzzzConfig } from '../config/config.js';
import { type NodeMcp, startNodeMcp } from '../mcp/transports/node-context.js';
import { startBzzzNode } from '../node/bzzz-node.js';
import { parseFlags } from './flags.js';

export interface StdioStreams {
  stdin: NodeJS.ReadableStream & { pause?: () => unknown };
  stdout: NodeJS.WritableStream;
}

/**
 * `bzzz mcp`: the node behind one MCP session over stdio, for desktop clients that start it as a
 * subprocess. stdout carries the protocol and nothing else (console.log/info/debug go to stderr
 * while it runs); it ends cleanly when stdin closes or on SIGINT/SIGTERM.
 */
export async function runMcpStdio(
  config: BzzzConfig,
  args: readonly string[] = [],
  streams: StdioStreams = { stdin: process.stdin, stdout: process.stdout },
): Promise<number> {
  parseFlags('mcp', args, {});
  const restoreConsole = consoleToStderr();
  let finish: (why: string) => void = () => {};
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const onSignal = (signal: NodeJS.Signals) => finish(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onStdinEnd = () => finish('stdin closed');
  // A client that goes away makes stdout fail (EPIPE): that ends the session too, it must not crash us.
  const onStdoutError = () => finish('stdout closed');
  try {
    const node = startBzzzNode(config);
    let why: string;
    let nodeMcp: NodeMcp | undefined;
    try {
      nodeMcp = startNodeMcp(node);
      const server = nodeMcp.createServer();
      const transport = new StdioServerTransport(streams.stdin as never, streams.stdout as never);
      transport.onclose = () => finish('transport closed');
      streams.stdin.once('end', onStdinEnd);
      streams.stdin.once('close', onStdinEnd);
      streams.stdout.on('error', onStdoutError);
      await server.connect(transport);
      console.error(`bzzz: node ${node.identity.nodeId} serving MCP over stdio`);
      why = await finished;
      await server.close().catch(() => {});
    } finally {
      await nodeMcp?.close();
      await node.close();
    }
    console.error(`bzzz: ${why}, store closed`);
    // Nothing more will be read: let the process end even if the client keeps its end open.
    if (streams.stdin === process.stdin) process.stdin.destroy();
    return 0;
  } finally {
    streams.stdin.off('end', onStdinEnd);
    streams.stdin.off('close', onStdinEnd);
    streams.stdout.off('error', onStdoutError);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    restoreConsole();
  }
}

/** Sends console.log, console.info and console.debug to stderr until the returned function is called. */
function consoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = (...parts: unknown[]) => console.error(...parts);
  return () => Object.assign(console, saved);
}
