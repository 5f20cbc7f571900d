import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  WsClientTransport,
  body,
  INITIALIZE,
  startTransportServer,
  type TransportServer,
} from './transport-harness.js';

const TOKEN = 'test-token-0123456789abcdef';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** An HTTP request with exactly the headers given (fetch will not send a foreign Host). */
function raw(
  url: URL,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer[] } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          // An SSE answer stays open: the first event is all a test needs.
          if (res.headers['content-type'] === 'text/event-stream' && text.includes('\n\n')) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('error', reject);
    if (Array.isArray(options.body)) {
      // Chunked: no Content-Length, the limit is found while reading.
      for (const chunk of options.body) req.write(chunk);
      req.end();
    } else {
      req.end(options.body ?? JSON.stringify(INITIALIZE));
    }
  });
}

/** The status an upgrade to the WebSocket endpoint gets (101 when it is taken). */
function upgradeStatus(url: URL, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['mcp'], { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.once('error', reject);
  });
}

describe('MCP endpoint security', () => {
  let server: TransportServer;
  afterEach(() => server.close());

  it('requires the bearer token on HTTP and WebSocket when one is configured (401 otherwise)', async () => {
    server = await startTransportServer({ token: TOKEN });
    const missing = await raw(server.mcpUrl);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="bzzz"');
    expect(JSON.parse(missing.text)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, data: { code: 'UNAUTHORIZED' } },
    });
    expect(missing.text).not.toContain(TOKEN);
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      `Bearer`,
      TOKEN,
      `Bearer ${TOKEN.slice(1)}`,
    ]) {
      expect((await raw(server.mcpUrl, { headers: { authorization } })).status).toBe(401);
    }
    expect(await upgradeStatus(server.wsUrl)).toBe(401);
    expect(await upgradeStatus(server.wsUrl, { authorization: 'Bearer nope-nope-nope-nope' })).toBe(401);

    const headers = { authorization: `Bearer ${TOKEN}` };
    const http = await server.connectHttp('with-token', headers);
    const announced = await http.client.callTool({
      name: 'bzzz_announce',
      arguments: { agent_id: 't1', role: 'tester' },
    });
    expect(body(announced).isError).toBe(false);
    const ws = await server.connectWs('with-token', headers);
    const found = await ws.client.callTool({
      name: 'bzzz_lookup',
      arguments: { semantic_address: 'bzzz://t1' },
    });
    expect(body(found).structured).toMatchObject({ count: 1 });
    // Tools never see the credential.
    expect(JSON.stringify(server.errors)).not.toContain(TOKEN);
  });

  it('refuses a foreign Host (421) and a cross-site Origin (403) on both endpoints: DNS rebinding', async () => {
    server = await startTransportServer({ limits: { allowedOrigins: ['http://localhost:6274'] } });
    const port = server.mcpUrl.port;
    const rebound = await raw(server.mcpUrl, { headers: { host: `evil.example:${port}` } });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.text)).toMatchObject({ error: { data: { code: 'MISDIRECTED_REQUEST' } } });
    expect(await upgradeStatus(server.wsUrl, { host: `evil.example:${port}` })).toBe(421);

    const crossSite = await raw(server.mcpUrl, { headers: { origin: 'http://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await upgradeStatus(server.wsUrl, { origin: 'http://evil.example' })).toBe(403);
    expect((await raw(server.mcpUrl, { headers: { origin: 'null' } })).status).toBe(403);
    // Same host, other port: another site.
    expect((await raw(server.mcpUrl, { headers: { origin: 'http://127.0.0.1:1' } })).status).toBe(403);

    // Loopback names, the server's own origin and configured origins pass.
    const passing: Record<string, string>[] = [
      { host: `localhost:${port}` },
      { host: `[::1]:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      { host: `localhost:${port}`, origin: 'http://localhost:6274' },
    ];
    for (const headers of passing) {
      expect((await raw(server.mcpUrl, { headers })).status, JSON.stringify(headers)).toBe(200);
    }
    expect(await upgradeStatus(server.wsUrl, { origin: `http://127.0.0.1:${port}` })).toBe(101);
  });

  it('refuses bodies over the message limit with 413, declared or streamed, and appends nothing', async () => {
    server = await startTransportServer({ limits: { maxMessageBytes: 2048 } });
    const big = JSON.stringify({
      ...INITIALIZE,
      params: { ...INITIALIZE.params, padding: 'x'.repeat(4096) },
    });
    const declared = await raw(server.mcpUrl, { body: big });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toMatchObject({ error: { data: { code: 'PAYLOAD_TOO_LARGE' } } });
    const streamed = await raw(server.mcpUrl, {
      body: [Buffer.from(big.slice(0, 1500)), Buffer.from(big.slice(1500))],
    });
    expect(streamed.status).toBe(413);
    expect(server.endpoints.sessionCount()).toBe(0);
    // Within the limit all is well.
    expect((await raw(server.mcpUrl)).status).toBe(200);
    expect(await server.harness.store.readAll()).toEqual([]);
  });

  it('rate limits each session: 429 with Retry-After on HTTP, a JSON-RPC error on WebSocket', async () => {
    let now = 0;
    server = await startTransportServer({ limits: { ratePerSecond: 1, rateBurst: 3 }, now: () => now });
    const init = await raw(server.mcpUrl);
    const session = init.headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    const list = (id: number) =>
      raw(server.mcpUrl, { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }) });
    const initialized = await raw(server.mcpUrl, {
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(initialized.status).toBe(202);
    expect((await list(2)).status).toBe(200);
    expect((await list(3)).status).toBe(200);
    const limited = await list(4);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(JSON.parse(limited.text)).toMatchObject({ error: { data: { code: 'RATE_LIMITED' } } });
    // Another session (and a new client) has its own bucket; DELETE is never limited.
    expect((await raw(server.mcpUrl)).status).toBe(200);
    now += 1000;
    expect((await list(5)).status).toBe(200);
    expect((await list(6)).status).toBe(429);

    const ws = new WsClientTransport(server.wsUrl);
    const replies: Record<string, unknown>[] = [];
    await ws.start();
    ws.socket!.on('message', (data) => replies.push(JSON.parse(String(data)) as Record<string, unknown>));
    for (let id = 1; id <= 4; id++)
      ws.socket!.send(JSON.stringify({ ...INITIALIZE, id, method: 'ping', params: {} }));
    await expect.poll(() => replies.length).toBe(4);
    const refused = replies.find((reply) => reply.id === 4);
    expect(refused).toMatchObject({
      error: { code: -32029, data: { code: 'RATE_LIMITED', retry_after_ms: expect.any(Number) } },
    });
    now += 1000;
    ws.socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }));
    await expect.poll(() => replies.find((reply) => reply.id === 5)).toMatchObject({ result: {} });
    await ws.close();
  });

  it('caps open sessions across both endpoints (503) and frees the slot when a session ends', async () => {
    server = await startTransportServer({ limits: { maxSessions: 1 } });
    const first = await server.connectHttp('first');
    const refused = await raw(server.mcpUrl);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(await upgradeStatus(server.wsUrl)).toBe(503);
    await first.transport.terminateSession();
    await expect.poll(() => server.endpoints.sessionCount()).toBe(0);
    const ws = await server.connectWs('second');
    expect(server.endpoints.sessionCount()).toBe(1);
    expect((await raw(server.mcpUrl)).status).toBe(503);
    await ws.client.close();
    await expect.poll(() => server.endpoints.sessionCount()).toBe(0);
    expect((await raw(server.mcpUrl)).status).toBe(200);
  });
});
