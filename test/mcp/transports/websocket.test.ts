import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { Waitable } from '../support/waitable.js';
import { runScenario } from './scenario.js';
import { body, INITIALIZE, startTransportServer, type TransportServer } from './transport-harness.js';

/** A raw `ws` connection to the endpoint that records what it receives and how it closed. */
async function rawSocket(url: URL, headers: Record<string, string> = {}, protocols: string[] = ['mcp']) {
  const socket = new WebSocket(url, protocols, { headers });
  const messages = new Waitable<Record<string, unknown>>();
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return { socket, messages, closed };
}

/** Sends an initialize and its initialized notification over a raw socket. */
async function initialize(raw: Awaited<ReturnType<typeof rawSocket>>) {
  raw.socket.send(JSON.stringify(INITIALIZE));
  await raw.messages.next((message) => message.id === 1);
  raw.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
}

describe('MCP over WebSocket (/mcp/ws, transport on ws, real HTTP server)', () => {
  let server: TransportServer;
  beforeEach(async () => {
    server = await startTransportServer();
  });
  afterEach(() => server.close());

  it('carries the whole scenario: announce, lookup, get, thread, post, replay, subscribe and receive', async () => {
    const { client, transport } = await server.connectWs('scenario-ws');
    expect(transport.socket?.protocol).toBe('mcp');
    await runScenario(client, 'ws');
  });

  it("works with the SDK's own WebSocketClientTransport (given a WebSocket global)", async () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
    try {
      const client = new Client({ name: 'sdk-ws', version: '1.0.0' });
      await client.connect(new WebSocketClientTransport(server.wsUrl));
      server.track(client);
      const announced = await client.callTool({
        name: 'bzzz_announce',
        arguments: { agent_id: 'sdk-ws-1', role: 'tester' },
      });
      expect(body(announced)).toMatchObject({ isError: false, structured: { created: true } });
      const found = await client.callTool({
        name: 'bzzz_lookup',
        arguments: { semantic_address: 'bzzz://sdk-ws-1' },
      });
      expect(body(found).structured).toMatchObject({ count: 1 });
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });

  it('delivers notifications the server sends on its own, and one session per connection', async () => {
    const { client } = await server.connectWs();
    await server.connectWs('second');
    expect(server.endpoints.websocket.sessionCount).toBe(2);
    const logs = new Waitable<unknown>();
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.data));
    await server.servers[0]!.sendLoggingMessage({ level: 'info', data: 'over the socket' });
    expect(await logs.next()).toBe('over the socket');
    await client.close();
    await vi.waitFor(() => expect(server.endpoints.websocket.sessionCount).toBe(1));
  });

  it('sends progress for a call that asked for it, and honours cancellation', async () => {
    const { client } = await server.connectWs();
    const progress: number[] = [];
    await client.callTool({ name: 'test_slow', arguments: { steps: 4 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2, 3, 4]);
    const abort = new AbortController();
    const seen = new Waitable<number>();
    const call = client.callTool(
      { name: 'test_slow', arguments: { steps: 1, wait_for_cancel: true } },
      undefined,
      {
        signal: abort.signal,
        onprogress: (p) => seen.push(p.progress),
      },
    );
    await seen.next();
    abort.abort();
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(server.cancelled).toHaveLength(1));
  });

  it('answers text that is not JSON-RPC with errors and keeps the connection', async () => {
    const raw = await rawSocket(server.wsUrl);
    await initialize(raw);
    raw.socket.send('{not json');
    expect(await raw.messages.next((m) => m.id === null)).toMatchObject({ error: { code: -32700 } });
    raw.socket.send(JSON.stringify({ id: 7, method: 42 }));
    expect(await raw.messages.next((m) => m.id === 7)).toMatchObject({ error: { code: -32600 } });
    raw.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'tools/call', params: null }));
    expect(await raw.messages.next((m) => m.id === 'p')).toMatchObject({ error: { code: -32600 } });
    raw.socket.send(JSON.stringify([{ jsonrpc: '2.0', id: 8, method: 'tools/list' }]));
    expect(
      await raw.messages.next(
        (m) => (m.error as { code?: number } | undefined)?.code === -32600 && m.id === null,
      ),
    ).toBeTruthy();
    raw.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }));
    expect(await raw.messages.next((m) => m.id === 9)).toMatchObject({
      result: { tools: expect.any(Array) },
    });
    raw.socket.close();
    await raw.closed;
  });

  it('closes on binary frames (1003) and on messages over the size limit (1009)', async () => {
    await server.close();
    server = await startTransportServer({ limits: { maxMessageBytes: 4096 } });
    const binary = await rawSocket(server.wsUrl);
    binary.socket.send(Buffer.from(JSON.stringify(INITIALIZE)), { binary: true });
    expect(await binary.closed).toBe(1003);
    const big = await rawSocket(server.wsUrl);
    await initialize(big);
    big.socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: {
          name: 'bzzz_announce',
          arguments: { agent_id: 'x', role: 'tester', specialization: 'y'.repeat(5000) },
        },
      }),
    );
    expect(await big.closed).toBe(1009);
    await vi.waitFor(() => expect(server.endpoints.websocket.sessionCount).toBe(0));
    expect(await server.harness.store.readAll()).toEqual([]);
  });

  it('accepts connections without a subprotocol and refuses clients that offer only others', async () => {
    const none = await rawSocket(server.wsUrl, {}, []);
    expect(none.socket.protocol).toBe('');
    await initialize(none);
    none.socket.close();
    await expect(rawSocket(server.wsUrl, {}, ['graphql-ws'])).rejects.toThrow(/no subprotocol/);
  });

  it('refuses upgrades on other paths with 404', async () => {
    const url = new URL('/elsewhere', server.wsUrl);
    await expect(rawSocket(url)).rejects.toThrow('status 404');
  });
});
