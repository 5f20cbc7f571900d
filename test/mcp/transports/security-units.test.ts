import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { startHttpServer } from '../../../src/http/http-server.js';
import { protectRoutes } from '../../../src/http/mcp-routes.js';
import { ok } from '../../../src/http/responses.js';
import {
  BearerToken,
  isLoopbackHost,
  requireTokenBeyondLoopback,
} from '../../../src/mcp/security/bearer-token.js';
import { allowedHostNames, HostOriginGuard } from '../../../src/mcp/security/host-origin-guard.js';
import { McpSecurity } from '../../../src/mcp/security/mcp-security.js';
import { RateLimiter, retryAfterSeconds } from '../../../src/mcp/security/rate-limiter.js';

const TOKEN = 'abcdefghijklmnop-0123456789';

describe('MCP security pieces', () => {
  it('knows loopback hosts', () => {
    for (const host of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      'a.localhost',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '192.168.1.2',
      '10.0.0.1',
      'example.com',
      'localhost.example.com',
      '128.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses to serve beyond loopback without a token, in one line that shows no token', () => {
    expect(() => requireTokenBeyondLoopback('127.0.0.1', undefined)).not.toThrow();
    expect(() => requireTokenBeyondLoopback('0.0.0.0', TOKEN)).not.toThrow();
    const attempt = () => requireTokenBeyondLoopback('0.0.0.0', undefined);
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(
      /^BZZZ_TOKEN is not valid: required when bzzz listens on 0\.0\.0\.0, beyond loopback/,
    );
    try {
      requireTokenBeyondLoopback('192.168.1.2', undefined);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('192.168.1.2');
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('reads BZZZ_TOKEN and the MCP limits from the environment, never echoing a bad token', () => {
    const config = loadConfig({
      BZZZ_TOKEN: TOKEN,
      BZZZ_MCP_MAX_MESSAGE_BYTES: '4096',
      BZZZ_MCP_RATE_LIMIT: '5',
      BZZZ_MCP_RATE_BURST: '10',
      BZZZ_MCP_MAX_SESSIONS: '3',
      BZZZ_MCP_ALLOWED_HOSTS: 'bzzz.example.com, Proxy.Local',
      BZZZ_MCP_ALLOWED_ORIGINS: 'http://localhost:6274,https://app.example.com',
    });
    expect(config.token).toBe(TOKEN);
    expect(config.mcp).toEqual({
      maxMessageBytes: 4096,
      ratePerSecond: 5,
      rateBurst: 10,
      maxSessions: 3,
      allowedHosts: ['bzzz.example.com', 'Proxy.Local'],
      allowedOrigins: ['http://localhost:6274', 'https://app.example.com'],
    });
    expect(loadConfig({}).token).toBeUndefined();
    expect(loadConfig({}).mcp).toMatchObject({ maxMessageBytes: 1024 * 1024, maxSessions: 64 });
    for (const bad of ['short', 'has spaces in it but long', 'x'.repeat(15), '']) {
      const attempt = () => loadConfig({ BZZZ_TOKEN: bad });
      expect(attempt).toThrowError(ConfigError);
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).toMatch(/^BZZZ_TOKEN is not valid: expected at least 16 characters/);
        if (bad !== '') expect((error as Error).message).not.toContain(bad);
      }
    }
    expect(() => loadConfig({ BZZZ_MCP_ALLOWED_ORIGINS: 'localhost:6274' })).toThrowError(
      /BZZZ_MCP_ALLOWED_ORIGINS="localhost:6274" is not valid/,
    );
    expect(() => loadConfig({ BZZZ_MCP_ALLOWED_ORIGINS: 'http://a.example/path' })).toThrowError(ConfigError);
    expect(() => loadConfig({ BZZZ_MCP_RATE_LIMIT: '0' })).toThrowError(/BZZZ_MCP_RATE_LIMIT/);
  });

  it('compares bearer tokens exactly and never prints them', () => {
    const token = new BearerToken(TOKEN);
    expect(token.accepts({ authorization: `Bearer ${TOKEN}` })).toBe(true);
    expect(token.accepts({ authorization: `bearer   ${TOKEN}` })).toBe(true);
    expect(token.accepts({ authorization: `Bearer ${TOKEN} extra` })).toBe(false);
    expect(token.accepts({ authorization: `Bearer ${TOKEN.toUpperCase()}` })).toBe(false);
    expect(token.accepts({})).toBe(false);
    expect(inspect(token)).not.toContain(TOKEN);
    expect(JSON.stringify({ token })).not.toContain(TOKEN);
    expect(
      inspect(new McpSecurity({ host: '127.0.0.1', token: TOKEN, ratePerSecond: 1, rateBurst: 1 })),
    ).not.toContain(TOKEN);
  });

  it('token buckets: a burst, then the sustained rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 250;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 250 });
    now += 250;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a', 5)).toEqual({ allowed: false, retryAfterMs: 1500 });
    limiter.forget('a');
    expect(limiter.take('a', 3).allowed).toBe(true);
    // Full buckets are dropped once the sweep comes round.
    now += 10_000;
    limiter.take('c');
    expect(limiter.size).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
  });

  it('admits Host names of the bound address, loopback and configured names only', () => {
    const guard = new HostOriginGuard({ host: '192.168.7.7', allowedHosts: ['bzzz.example.com'] });
    const check = (host: string | undefined, origin?: string) =>
      guard.check({ ...(host === undefined ? {} : { host }), ...(origin ? { origin } : {}) })?.status;
    expect(check('192.168.7.7:7331')).toBeUndefined();
    expect(check('BZZZ.example.com.')).toBeUndefined();
    expect(check('localhost')).toBeUndefined();
    expect(check('evil.example')).toBe(421);
    expect(check(undefined)).toBe(421);
    expect(check('user@localhost')).toBe(421);
    expect(check('localhost/path')).toBe(421);
    expect(check('bzzz.example.com', 'https://bzzz.example.com')).toBeUndefined();
    expect(check('bzzz.example.com', 'https://bzzz.example.com:8443')).toBe(403);
    expect(check('localhost:80', 'http://localhost')).toBeUndefined();
    expect(check('localhost', 'file://')).toBe(403);
    // A wildcard bind admits this machine's own addresses and name.
    const names = allowedHostNames('0.0.0.0');
    expect(names.has('127.0.0.1')).toBe(true);
    expect(names.has('0.0.0.0')).toBe(false);
  });

  it('puts the REST API behind the same checks, the liveness probe needing no token', async () => {
    const security = new McpSecurity({ host: '127.0.0.1', token: TOKEN, ratePerSecond: 10, rateBurst: 10 });
    const http = await startHttpServer({
      routes: protectRoutes(
        [
          { method: 'GET', path: '/health', handler: () => ok({ status: 'ok' }) },
          { method: 'GET', path: '/api/agents', handler: () => ok({ agents: [] }) },
        ],
        security,
      ),
    });
    try {
      const agents = await fetch(`${http.url}/api/agents`);
      expect(agents.status).toBe(401);
      expect(await agents.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      expect(agents.headers.get('www-authenticate')).toBe('Bearer realm="bzzz"');
      const authorized = await fetch(`${http.url}/api/agents`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(authorized.status).toBe(200);
      expect((await fetch(`${http.url}/health`)).status).toBe(200);
      const crossSite = await fetch(`${http.url}/health`, { headers: { origin: 'http://evil.example' } });
      expect(crossSite.status).toBe(403);
    } finally {
      await http.close();
    }
  });
});
