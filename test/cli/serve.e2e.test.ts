import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/flags.js';
import { ConfigError, loadConfig, withListenOverrides } from '../../src/config/config.js';
import { startHttpServer } from '../../src/http/http-server.js';
import { IDENTITY_FILE } from '../../src/identity/node-identity.js';
import { startBzzz } from '../support/bzzz-process.js';

const SERVING = /bzzz: node (12D3KooW\w+) serving (http:\/\/127\.0\.0\.1:\d+) \(embedded store at (.+)\)\n/;

describe('bzzz serve (end to end, built bin)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-serve-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the embedded store, serves HTTP on the printed URL, and closes cleanly on SIGTERM', async () => {
    const path = join(dir, 'nested', 'bzzz.db');
    const bzzz = startBzzz(['serve', '--port', '0'], { BZZZ_STORE: `sqlite:${path}` });
    await bzzz.waitForOutput(SERVING);
    const [, nodeId, url, where] = SERVING.exec(bzzz.stdout())!;
    expect(where).toBe(path);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(dir, 'nested', IDENTITY_FILE))).toBe(true);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await health.json()).toMatchObject({
      success: true,
      status: 'ok',
      node_id: nodeId,
      store: { kind: 'sqlite', head_position: null },
      projections: ['lookup', 'threads', 'cost', 'stats'].map((name) => ({ name, position: null })),
    });
    const agents = await fetch(`${url}/api/agents`);
    expect(agents.status).toBe(200);
    expect(await agents.json()).toEqual({
      success: true,
      agents: [],
      count: 0,
      next_cursor: null,
      timestamp: expect.any(String),
    });

    bzzz.child.kill('SIGTERM');
    expect(await bzzz.exited).toBe(0);
    expect(bzzz.stdout()).toContain('SIGTERM received, store closed');
    expect(bzzz.stderr()).toBe('');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('takes the port from BZZZ_PORT and --port=, the flag winning', async () => {
    const bzzz = startBzzz(['serve', '--port=0', '--host', '127.0.0.1'], {
      BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}`,
      BZZZ_PORT: '1',
    });
    await bzzz.waitForOutput(SERVING);
    bzzz.child.kill('SIGINT');
    expect(await bzzz.exited).toBe(0);
    expect(bzzz.stdout()).toContain('SIGINT received, store closed');
  });

  it('reports the budget the LLM guard enforces (BZZZ_DAILY_COST_LIMIT, none for the month)', async () => {
    const bzzz = startBzzz(['serve', '--port', '0'], {
      BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}`,
      BZZZ_DAILY_COST_LIMIT: '5',
      BZZZ_MONTHLY_COST_LIMIT: 'none',
    });
    await bzzz.waitForOutput(SERVING);
    const [, , url] = SERVING.exec(bzzz.stdout())!;
    const body = (await (await fetch(`${url}/api/costs/breakdown`)).json()) as {
      budget: { overall: { limits: { daily: number | null; monthly: number | null } } };
    };
    expect(body.budget.overall.limits).toMatchObject({ daily: 5, monthly: null });
    bzzz.child.kill('SIGTERM');
    expect(await bzzz.exited).toBe(0);
  });

  it.each([
    [['serve', '--verbose'], /^bzzz: serve: unknown flag --verbose; accepted: --host, --port$/],
    [['serve', '--port'], /^bzzz: serve: --port needs a value$/],
    [
      ['serve', '--port', '70000'],
      /^bzzz: --port="70000" is not valid: expected a port number from 0 to 65535/,
    ],
    [['serve', 'now'], /^bzzz: serve: unexpected argument "now"; accepted: --host, --port$/],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const bzzz = startBzzz(args, { BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}` });
    expect(await bzzz.exited).toBe(2);
    const lines = bzzz.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(bzzz.stdout()).toBe('');
  });

  it('stops with one line and exit code 2 when the port is taken, closing the store', async () => {
    const taken = await startHttpServer({ routes: [] });
    try {
      const port = new URL(taken.url).port;
      const bzzz = startBzzz(['serve', '--port', port], { BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}` });
      expect(await bzzz.exited).toBe(2);
      expect(bzzz.stderr().trim()).toBe(`bzzz: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      await taken.close();
    }
  });

  it('stops with one clear line and exit code 2 on a bad BZZZ_STORE', async () => {
    const bzzz = startBzzz(['serve'], { BZZZ_STORE: 'mysql://db' });
    expect(await bzzz.exited).toBe(2);
    const lines = bzzz.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^bzzz: BZZZ_STORE="mysql:\/\/db" is not valid: unknown scheme "mysql:"; accepted: sqlite:/,
    );
  });

  it('rejects an unknown command with the usage text', async () => {
    const bzzz = startBzzz(['fly'], {});
    expect(await bzzz.exited).toBe(2);
    expect(bzzz.stderr()).toContain('unknown command "fly"');
  });
});

describe('listen address: BZZZ_HOST, BZZZ_PORT and the serve flags', () => {
  it('defaults to loopback on 7331 and validates both variables in one line', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', port: 7331 });
    expect(loadConfig({ BZZZ_HOST: '::1', BZZZ_PORT: '0' })).toMatchObject({ host: '::1', port: 0 });
    expect(loadConfig({ BZZZ_HOST: 'localhost', BZZZ_PORT: '65535' })).toMatchObject({ port: 65_535 });
    expect(() => loadConfig({ BZZZ_PORT: '65536' })).toThrowError(
      new ConfigError('BZZZ_PORT', '65536', 'expected a port number from 0 to 65535 (0: any free port)'),
    );
    for (const port of ['-1', '8o80', ' 80', '1e3']) {
      expect(() => loadConfig({ BZZZ_PORT: port })).toThrowError(/^BZZZ_PORT=.* is not valid/);
    }
    for (const host of ['', 'bad host', 'http://x', 'a..b']) {
      expect(() => loadConfig({ BZZZ_HOST: host })).toThrowError(
        /^BZZZ_HOST=.* is not valid: expected an IP/,
      );
    }
  });

  it('lets the command line override the listen address, naming the flag in errors', () => {
    const config = loadConfig({ BZZZ_PORT: '8080' });
    expect(withListenOverrides(config, {})).toEqual(config);
    expect(withListenOverrides(config, { host: '0.0.0.0', port: '0' })).toMatchObject({
      host: '0.0.0.0',
      port: 0,
    });
    expect(() => withListenOverrides(config, { port: 'x' })).toThrowError(/^--port="x" is not valid/);
    expect(() => withListenOverrides(config, { host: 'a b' })).toThrowError(/^--host="a b" is not valid/);
  });

  it('parses --name value, --name=value and switches', () => {
    const spec = { host: 'value', port: 'value', verbose: 'switch' } as const;
    expect(parseFlags('serve', ['--port', '0', '--host=::1', '--verbose'], spec)).toEqual({
      port: '0',
      host: '::1',
      verbose: true,
    });
    expect(parseFlags('serve', [], spec)).toEqual({});
    expect(() => parseFlags('serve', ['--port', '1', '--port', '2'], spec)).toThrowError(
      'serve: --port is given more than once',
    );
    expect(() => parseFlags('serve', ['--verbose=yes'], spec)).toThrowError(
      'serve: --verbose takes no value',
    );
    expect(() => parseFlags('serve', ['--constructor'], spec)).toThrowError(/unknown flag --constructor/);
  });
});
