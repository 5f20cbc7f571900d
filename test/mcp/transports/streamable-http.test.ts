import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Waitable } from '../support/waitable.js';
import { runScenario } from './scenario.js';
import {
  body,
  INITIALIZE,
  postMcp,
  startTransportServer,
  type TransportServer,
} from './transport-harness.js';

describe('MCP over Streamable HTTP (/mcp, SDK client, real HTTP server)', () => {
  let server: TransportServer;
  beforeEach(async () => {
    server = await startTransportServer();
  });
  afterEach(() => server.close());

  it('carries the whole scenario: announce, lookup, get, thread, post, replay, subscribe and receive', async () => {
    const { client, transport } = await server.connectHttp('scenario-http');
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await runScenario(client, 'http');
  });

  it('delivers notifications the server sends on its own over the GET stream', async () => {
    const { client } = await server.connectHttp();
    const logs = new Waitable<unknown>();
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.data));
    // The GET stream is opened after initialization; wait until the server has a session to notify.
    await vi.waitFor(() => expect(server.servers).toHaveLength(1));
    await vi.waitFor(async () => {
      await server.servers[0]!.sendLoggingMessage({ level: 'info', data: 'unsolicited hello' });
      await logs.next((data) => data === 'unsolicited hello', 200);
    });
  });

  it('sends progress for a call that asked for it, and honours cancellation', async () => {
    const { client } = await server.connectHttp();
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const result = await client.callTool({ name: 'test_slow', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(body(result).isError).toBe(false);
    expect(progress).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    // Without a progress token nothing is sent (the tool says it was not wanted).
    const quiet = await client.callTool({ name: 'test_slow', arguments: { steps: 2 } });
    expect(JSON.stringify(quiet.content)).toContain('progress wanted: false');

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
    abort.abort('user changed their mind');
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(server.cancelled).toHaveLength(1));
    // The session is still usable.
    expect(body(await client.callTool({ name: 'test_slow', arguments: { steps: 0 } })).isError).toBe(false);
  });

  it('ends the SSE stream of a call the client cancelled (it gets no response)', async () => {
    const init = await postMcp(server.mcpUrl, JSON.stringify(INITIALIZE));
    await init.text();
    const headers = {
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-06-18',
    };
    await postMcp(
      server.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      headers,
    );
    const call = await postMcp(
      server.mcpUrl,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'slow',
        method: 'tools/call',
        params: {
          name: 'test_slow',
          arguments: { steps: 1, wait_for_cancel: true },
          _meta: { progressToken: 't' },
        },
      }),
      headers,
    );
    expect(call.headers.get('content-type')).toBe('text/event-stream');
    const reader = call.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('notifications/progress')) text += decoder.decode((await reader.read()).value);
    const cancel = await postMcp(
      server.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow' } }),
      headers,
    );
    expect(cancel.status).toBe(202);
    // The stream ends, without a response for the cancelled call.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).not.toContain('"result"');
    expect(server.cancelled).toEqual(['slow']);
    // Nothing of the cancelled call stays with the session (the SDK forgets a request when it answers).
    await vi.waitFor(() => expect(server.endpoints.http.requestsTracked).toBe(0));
  });

  it('keeps one McpServer per session and ends it on DELETE', async () => {
    const first = await server.connectHttp('first');
    const second = await server.connectHttp('second');
    expect(server.endpoints.http.sessionCount).toBe(2);
    expect(first.transport.sessionId).not.toBe(second.transport.sessionId);
    await first.transport.terminateSession();
    await vi.waitFor(() => expect(server.endpoints.http.sessionCount).toBe(1));
    const gone = await postMcp(
      server.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      { 'mcp-session-id': first.transport.sessionId!, 'mcp-protocol-version': '2025-06-18' },
    );
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Session not found' },
    });
    expect((await second.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('answers bad JSON and requests without a session with JSON-RPC errors', async () => {
    const bad = await postMcp(server.mcpUrl, '{"jsonrpc": "2.0", ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: -32700 } });
    const noSession = await postMcp(
      server.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    );
    expect(noSession.status).toBe(400);
    expect(await noSession.json()).toMatchObject({ error: { message: /Mcp-Session-Id header is required/ } });
    const get = await fetch(server.mcpUrl, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(400);
    await get.body?.cancel();
    // A raw initialize gets a session id back.
    const init = await postMcp(server.mcpUrl, JSON.stringify(INITIALIZE));
    expect(init.status).toBe(200);
    expect(init.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    await init.body?.cancel();
  });

  it('closes sessions left idle (no request in flight, no stream open)', async () => {
    await server.close();
    server = await startTransportServer({ idleTimeoutMs: 50 });
    const init = await postMcp(server.mcpUrl, JSON.stringify(INITIALIZE));
    await init.text();
    expect(server.endpoints.http.sessionCount).toBe(1);
    await vi.waitFor(() => expect(server.endpoints.http.sessionCount).toBe(0), {
      timeout: 5000,
      interval: 50,
    });
    const after = await postMcp(
      server.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      {
        'mcp-session-id': init.headers.get('mcp-session-id')!,
      },
    );
    expect(after.status).toBe(404);
  });
});
