/**
 * The MCP load generator of bench/mcp.bench.ts, in its own process (see LoadGenerator): opens N
 * sessions over Streamable HTTP or WebSocket with the SDK client, then runs closed-loop tool calls
 * (each session one call in flight) on the parent's request and sends back every call's latency.
 */
import '../../src/polyfill.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { LoadReply, LoadRequest, RunResult } from './load-protocol.js';
import { WsClientTransport } from './ws-client-transport.js';

let clients: Client[] = [];

/**
 * fetch for the SDK's Streamable HTTP client transport, minus one client-side leak: the transport hands
 * its session-wide AbortSignal to every request, undici keeps a listener per request on it until the
 * request is garbage collected, and past 1500 listeners Node prints a warning (with a stack) on every
 * call. That is load-generator work, not server work, so POSTs go without the signal; the GET stream
 * keeps it, so closing the transport still ends the stream.
 */
const fetchWithoutLeak: typeof fetch = (input, init) =>
  fetch(input, init?.method === 'POST' ? { ...init, signal: null } : init);

function reply(message: LoadReply): void {
  process.send?.(message);
}

async function connect(request: Extract<LoadRequest, { type: 'connect' }>): Promise<void> {
  const headers = { authorization: `Bearer ${request.token}` };
  const url = new URL(request.url);
  clients = await Promise.all(
    Array.from({ length: request.sessions }, async (_, s) => {
      const client = new Client({ name: `bench-${request.transport}-${s}`, version: '1.0.0' });
      const transport =
        request.transport === 'http'
          ? new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: fetchWithoutLeak })
          : new WsClientTransport(url, headers);
      await client.connect(transport);
      // As an MCP host does: the tool list first (the client then checks structured results against it).
      await client.listTools();
      return client;
    }),
  );
}

async function run(request: Extract<LoadRequest, { type: 'run' }>): Promise<RunResult> {
  const sessions = clients.length;
  const { tool, callsPerSession, argumentSets } = request;
  const latencies = new Float64Array(sessions * callsPerSession);
  let failures = 0;
  let firstFailure: string | undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, s) => {
      for (let i = 0; i < callsPerSession; i++) {
        const args = argumentSets[(i * sessions + s) % argumentSets.length]!;
        const before = performance.now();
        try {
          const result = await client.callTool({ name: tool, arguments: args });
          if (result.isError === true) {
            failures++;
            firstFailure ??= JSON.stringify(result.content).slice(0, 500);
          }
        } catch (error) {
          failures++;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
        latencies[s * callsPerSession + i] = performance.now() - before;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    latencies: Array.from(latencies),
    elapsedMs,
    clientCpuMicros: used.user + used.system,
    failures,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

async function disconnect(): Promise<void> {
  const closing = clients;
  clients = [];
  await Promise.allSettled(
    closing.map(async (client) => {
      const transport = client.transport;
      // Streamable HTTP: end the session on the server (DELETE) rather than leave it to the idle sweep.
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
      await client.close();
    }),
  );
}

async function handle(request: LoadRequest): Promise<void> {
  try {
    switch (request.type) {
      case 'connect':
        await connect(request);
        return reply({ type: 'connected' });
      case 'run':
        return reply({ type: 'ran', ...(await run(request)) });
      case 'disconnect':
        await disconnect();
        return reply({ type: 'disconnected' });
      case 'exit':
        await disconnect();
        process.disconnect?.();
        return;
    }
  } catch (error) {
    reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}

process.on('message', (message) => void handle(message as LoadRequest));
// The parent went away: nothing more to do.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
