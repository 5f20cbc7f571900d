import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration', () => {
  it('defaults to the embedded store in ./data with FULL durability', () => {
    const config = loadConfig({});
    expect(config.store).toEqual({ kind: 'sqlite', path: resolve('data/bzzz.db') });
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.synchronous).toBe('FULL');
    expect(config.maxEventSize).toBe(1024 * 1024);
  });

  it.each([
    ['sqlite:/var/lib/bzzz/events.db', { kind: 'sqlite', path: '/var/lib/bzzz/events.db' }],
    ['sqlite:///var/lib/bzzz/events.db', { kind: 'sqlite', path: '/var/lib/bzzz/events.db' }],
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
    [
      'kurrentdb://node1:2113,node2:2113?tls=false',
      { kind: 'kurrentdb', connectionString: 'kurrentdb://node1:2113,node2:2113?tls=false' },
    ],
    [
      'esdb://localhost:2113?tls=false',
      { kind: 'kurrentdb', connectionString: 'esdb://localhost:2113?tls=false' },
    ],
  ])('accepts BZZZ_STORE=%s', (value, store) => {
    expect(loadConfig({ BZZZ_STORE: value }).store).toEqual(store);
  });

  it.each([
    ['foo', /BZZZ_STORE="foo" is not valid: unknown scheme; accepted: sqlite:<path>/],
    ['postgres://db/bzzz', /unknown scheme "postgres:"; accepted: .*kurrentdb:\/\//],
    ['sqlite:', /sqlite: needs a file path/],
    ['kurrentdb://', /kurrentdb: needs hosts/],
    ['esdb://a b:2113', /"a b:2113" is not a host\[:port\]/],
  ])('refuses BZZZ_STORE=%s with one line naming the variable and what is accepted', (value, message) => {
    const attempt = () => loadConfig({ BZZZ_STORE: value });
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(message);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('refuses bad durability and event-size settings', () => {
    expect(() => loadConfig({ BZZZ_SQLITE_SYNCHRONOUS: 'sometimes' })).toThrowError(
      'BZZZ_SQLITE_SYNCHRONOUS="sometimes" is not valid: expected one of FULL, NORMAL, OFF',
    );
    expect(() => loadConfig({ BZZZ_MAX_EVENT_SIZE: '-5' })).toThrowError(/BZZZ_MAX_EVENT_SIZE/);
    expect(loadConfig({ BZZZ_SQLITE_SYNCHRONOUS: 'normal', BZZZ_MAX_EVENT_SIZE: '2048' })).toMatchObject({
      synchronous: 'NORMAL',
      maxEventSize: 2048,
    });
  });

  it('never prints the password of a refused connection string', () => {
    const attempt = () => loadConfig({ BZZZ_STORE: 'kurrentdb://admin:hunter2-secret@db:2113?tls=maybe' });
    expect(attempt).toThrowError(/admin:\*\*\*@db:2113/);
    expect(attempt).not.toThrowError(/hunter2/);
  });
});
