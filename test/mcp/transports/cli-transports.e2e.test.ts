import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BZZZ_BIN, startBzzz } from '../../support/bzzz-process.js';
import { runScenario } from './scenario.js';
import { body, WsClientTransport } from './transport-harness.js';

const TOKEN = 'e2e-token-0123456789abcdef';
const MCP_LINE = /bzzz: MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp) and (ws:\/\/127\.0\.0\.1:\d+\/mcp\/ws)(.*)\n/;

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return { ...env, ...extra };
}

describe('the bzzz command as an MCP server (end to end, built bin)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-mcp-e2e-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('`bzzz mcp` speaks MCP over stdio (stdout is protocol only) and exits cleanly when stdin closes', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BZZZ_BIN, 'mcp'],
      env: childEnv({ BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}` }),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
    const protocolErrors: Error[] = [];
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
    const child = (transport as unknown as { _process: ChildProcess })._process;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await runScenario(client, 'stdio');
    expect(protocolErrors).toEqual([]);

    await client.close();
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/bzzz: node 12D3KooW\w+ serving MCP over stdio\n/);
    expect(stderr).toContain('bzzz: stdin closed, store closed');
  });

  it('`bzzz serve` prints the MCP URLs and serves both with the bearer token it was given', async () => {
    const bzzz = startBzzz(['serve', '--port', '0'], {
      BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}`,
      BZZZ_TOKEN: TOKEN,
    });
    try {
      await bzzz.waitForOutput(MCP_LINE);
      const [, httpUrl, wsUrl, note] = MCP_LINE.exec(bzzz.stdout())!;
      expect(note).toBe(', bearer token required');
      expect(bzzz.stdout() + bzzz.stderr()).not.toContain(TOKEN);

      expect((await fetch(httpUrl!, { method: 'POST' })).status).toBe(401);
      expect((await fetch(httpUrl!.replace('/mcp', '/api/agents'))).status).toBe(401);
      expect((await fetch(httpUrl!.replace('/mcp', '/health'))).status).toBe(200);

      const headers = { authorization: `Bearer ${TOKEN}` };
      const http = new Client({ name: 'serve-http', version: '1.0.0' });
      await http.connect(new StreamableHTTPClientTransport(new URL(httpUrl!), { requestInit: { headers } }));
      await runScenario(http, 'serve-http');
      const ws = new Client({ name: 'serve-ws', version: '1.0.0' });
      await ws.connect(new WsClientTransport(new URL(wsUrl!), headers));
      const found = await ws.callTool({
        name: 'bzzz_lookup',
        arguments: { semantic_address: 'bzzz://*:reviewer@serve-http' },
      });
      expect(body(found).structured).toMatchObject({ count: 1 });
      const agents = await fetch(httpUrl!.replace('/mcp', '/api/agents'), { headers });
      expect(await agents.json()).toMatchObject({ count: 2 });
      await ws.close();
      await http.close();
    } finally {
      bzzz.child.kill('SIGTERM');
    }
    expect(await bzzz.exited).toBe(0);
    expect(bzzz.stdout()).toContain('SIGTERM received, store closed');
  });

  it('`bzzz serve` refuses to listen beyond loopback without BZZZ_TOKEN (one line, exit 2)', async () => {
    const bzzz = startBzzz(['serve', '--host', '0.0.0.0', '--port', '0'], {
      BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}`,
    });
    expect(await bzzz.exited).toBe(2);
    const lines = bzzz.stderr().trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^bzzz: BZZZ_TOKEN is not valid: required when bzzz listens on 0\.0\.0\.0, beyond loopback/,
      ),
    ]);
    expect(bzzz.stdout()).toBe('');
  });
});
