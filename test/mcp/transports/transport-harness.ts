import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { McpLimits } from '../../../src/config/config.js';
import { startHttpServer } from '../../../src/http/http-server.js';
import { mcpRoutes } from '../../../src/http/mcp-routes.js';
import { createMcpServer } from '../../../src/mcp/create-mcp-server.js';
import { createMcpEndpoints } from '../../../src/mcp/transports/mcp-endpoints.js';
import { CallCancelledError, callProgress } from '../../../src/mcp/transports/progress.js';
import { startServicesHarness } from '../support/services-harness.js';

export interface TransportServerOptions {
  token?: string;
  limits?: Partial<McpLimits>;
  /** Rate limiter clock (ms). */
  now?: () => number;
  idleTimeoutMs?: number;
}

/**
 * A real HTTP server on 127.0.0.1:0 with both MCP endpoints, in front of the services harness (temp
 * store, actors, projections, subscriptions). Each session's server also has `test_slow`, a tool that
 * reports progress and waits for cancellation, so the transports' progress and cancellation can be seen.
 */
export async function startTransportServer(options: TransportServerOptions = {}) {
  const harness = await startServicesHarness();
  const servers: McpServer[] = [];
  const cancelled: string[] = [];
  const errors: unknown[] = [];
  const endpoints = createMcpEndpoints({
    createServer: () => {
      const server = createMcpServer(harness.context, harness.services);
      registerSlowTool(server, cancelled);
      servers.push(server);
      return server;
    },
    host: '127.0.0.1',
    token: options.token,
    limits: options.limits ?? {},
    heartbeatMs: 0,
    ...(options.now ? { now: options.now } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    onError: (error) => errors.push(error),
  });
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    routes: mcpRoutes(endpoints),
    onUpgrade: endpoints.handleUpgrade,
  });
  const clients: Client[] = [];
  const mcpUrl = new URL('/mcp', http.url);
  const wsUrl = new URL('/mcp/ws', http.url.replace(/^http:/, 'ws:'));

  return {
    harness,
    endpoints,
    http,
    servers,
    cancelled,
    errors,
    mcpUrl,
    wsUrl,
    /** An SDK client over Streamable HTTP. */
    async connectHttp(name = 'http-client', headers: Record<string, string> = {}) {
      const client = new Client({ name, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } });
      await client.connect(transport);
      clients.push(client);
      return { client, transport };
    },
    /** An SDK client over WebSocket (our `ws` client transport, which can send headers). */
    async connectWs(name = 'ws-client', headers: Record<string, string> = {}) {
      const client = new Client({ name, version: '1.0.0' });
      const transport = new WsClientTransport(wsUrl, headers);
      await client.connect(transport);
      clients.push(client);
      return { client, transport };
    },
    track(client: Client) {
      clients.push(client);
    },
    async close() {
      await Promise.allSettled(clients.map((client) => client.close()));
      await endpoints.close();
      await http.close();
      await harness.close();
    },
  };
}

export type TransportServer = Awaited<ReturnType<typeof startTransportServer>>;

function registerSlowTool(server: McpServer, cancelled: string[]): void {
  server.registerTool(
    'test_slow',
    {
      description: 'test only: reports `steps` progress steps, then waits for cancellation if asked',
      inputSchema: { steps: z.number().int().min(0).max(100), wait_for_cancel: z.boolean().default(false) },
    },
    async ({ steps, wait_for_cancel }, extra) => {
      const progress = callProgress(extra, { minIntervalMs: 0 });
      for (let step = 1; step <= steps; step++) await progress.report(step, steps, `step ${step}`);
      if (wait_for_cancel) {
        try {
          await progress.untilCancelled(new Promise<never>(() => {}));
        } catch (error) {
          if (error instanceof CallCancelledError) cancelled.push(String(extra.requestId));
          throw error;
        }
      }
      return {
        content: [{ type: 'text', text: `done after ${steps} steps (progress wanted: ${progress.wanted})` }],
      };
    },
  );
}

/** A client transport on `ws` (the SDK's needs a global WebSocket, which Node 20 lacks, and sends no headers). */
export class WsClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  socket: WebSocket | undefined;
  closeCode: number | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly url: URL,
    readonly headers: Record<string, string> = {},
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, 'mcp', { headers: this.headers });
      this.socket = socket;
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      socket.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      socket.on('close', (code) => {
        this.closeCode = code;
        this.onclose?.();
      });
      socket.on('message', (data) => {
        const parsed = JSONRPCMessageSchema.safeParse(JSON.parse(String(data)));
        if (!parsed.success) {
          this.onerror?.(new Error(`not JSON-RPC: ${String(data)}`));
          return;
        }
        // One message per macrotask, in order. The SDK client handles notifications a microtask late
        // but responses at once, so a progress notification read in the same chunk as its response
        // would find its handler already gone (typescript-sdk issue #2580); a real socket read splits
        // them only by chance.
        this.#queue = this.#queue.then(
          () => new Promise<void>((resolve) => setImmediate(() => resolve(this.onmessage?.(parsed.data)))),
        );
      });
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.socket!.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    this.socket?.close();
  }
}

/** Posts raw JSON to the MCP endpoint with the headers a client sends. */
export function postMcp(
  url: URL,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
} as const;

/** The result of a tool call as the tests read it: whether it failed, and the structured answer. */
export function body(result: unknown): { isError: boolean; structured: Record<string, unknown> } {
  const value = result as { isError?: boolean; structuredContent?: Record<string, unknown> };
  return { isError: value.isError === true, structured: value.structuredContent ?? {} };
}
