import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BenchArgumentError,
  DOUBLE_LABEL,
  DOUBLE_OUT,
  KURRENTDB_OUT,
  labelTable,
  parseBenchTarget,
  redactCredentials,
  SQLITE_OUT,
} from '../../bench/store/target.js';
import { renderTable, resultRow } from '../../bench/support/report.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { openKurrentDbEventStore } from '../../src/events/kurrentdb/kurrentdb-event-store.js';

/**
 * The connection strings of the deployment (docker-compose.yml, the README) and of the store benchmark's
 * --store: accepted by BZZZ_STORE and by the KurrentDB client alike, and bad ones stopped with one line.
 */

/** Constructs the client for the string (no connection is made) and closes it; throws what the client throws. */
async function clientAccepts(connectionString: string): Promise<void> {
  const store = openKurrentDbEventStore({ connectionString, nodeId: 'deploy-check' });
  await store.close();
}

function oneLine(attempt: () => unknown): Error {
  try {
    attempt();
  } catch (error) {
    expect((error as Error).message).not.toContain('\n');
    return error as Error;
  }
  throw new Error('expected a refusal');
}

const dir = mkdtempSync(join(tmpdir(), 'bzzz-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deployment connection strings', () => {
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, 'not read until a TLS connection is made\n');

  it.each([
    // docker-compose.yml (bzzz nodes), the README's host-side forms, and its TLS form for production.
    'kurrentdb://kurrentdb1:2111,kurrentdb2:2112,kurrentdb3:2113?tls=false',
    'kurrentdb://localhost:2113?tls=false',
    'esdb://localhost:2113?tls=false',
    'kurrentdb+discover://cluster.example.internal:2113?tls=true',
    `kurrentdb://db1.example.internal:2113,db2.example.internal:2113,db3.example.internal:2113?tls=true&tlsCAFile=${caFile}`,
  ])('%s is accepted by BZZZ_STORE and by the client', async (value) => {
    const { store } = loadConfig({ BZZZ_STORE: value });
    expect(store).toEqual({ kind: 'kurrentdb', connectionString: value });
    await clientAccepts(value);
  });

  // Values the client's own parser would throw on when the store opens: BZZZ_STORE's check refuses them
  // in one line first (or normalises them so that the client accepts them).
  it.each([
    'kurrentdb://localhost:abc?tls=false',
    'kurrentdb://localhost:99999?tls=false',
    'kurrentdb://:2113?tls=false',
    'kurrentdb://localhost:2113?tls=maybe',
    'kurrentdb://localhost:2113?tls=false&nodePreference=sideways',
    'KurrentDB://localhost:2113?tls=false',
  ])('BZZZ_STORE=%s is refused in one line, or accepted by the client', async (value) => {
    let config;
    try {
      config = loadConfig({ BZZZ_STORE: value });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('\n');
      return;
    }
    expect(config.store.kind).toBe('kurrentdb');
    await clientAccepts(config.store.kind === 'kurrentdb' ? config.store.connectionString : value);
  });
});

describe('bench:store --store', () => {
  it('keeps the embedded store, and its result file, by default and for sqlite:', () => {
    expect(parseBenchTarget(undefined, undefined)).toMatchObject({ kind: 'sqlite', out: SQLITE_OUT });
    expect(parseBenchTarget('sqlite:./x.db', undefined)).toMatchObject({
      kind: 'sqlite',
      out: SQLITE_OUT,
      ignoredUrl: 'sqlite:./x.db',
    });
  });

  it.each(['double', 'kurrentdb+double:', 'KURRENTDB+DOUBLE://'])(
    '%s is the test double: labelled, in a file of its own',
    (value) => {
      expect(parseBenchTarget(value, undefined)).toEqual({
        kind: 'double',
        label: DOUBLE_LABEL,
        out: DOUBLE_OUT,
      });
    },
  );

  it('runs against a named server, its label free of credentials', () => {
    const target = parseBenchTarget('esdb://admin:changeit@db1:2113,db2:2113?tls=true', undefined);
    expect(target).toEqual({
      kind: 'kurrentdb',
      label: 'KurrentDB at esdb://db1:2113,db2:2113?tls=true',
      out: KURRENTDB_OUT,
      connectionString: 'esdb://admin:changeit@db1:2113,db2:2113?tls=true',
    });
    expect(redactCredentials('kurrentdb://localhost:2113?tls=false')).toBe(
      'kurrentdb://localhost:2113?tls=false',
    );
  });

  it('never writes KurrentDB or test-double rows over the embedded store results', () => {
    for (const store of ['double', 'kurrentdb://localhost:2113?tls=false']) {
      const refusal = oneLine(() => parseBenchTarget(store, `./${SQLITE_OUT}`));
      expect(refusal).toBeInstanceOf(BenchArgumentError);
      expect(refusal.message).toMatch(/holds the embedded store's results/);
    }
    expect(parseBenchTarget('double', '/tmp/elsewhere.json').out).toBe('/tmp/elsewhere.json');
  });

  it.each([
    [
      'postgres://db/bzzz',
      /unknown scheme "postgres:"; accepted: sqlite:.*kurrentdb:\/\/.*esdb:\/\/.*double/,
    ],
    ['nonsense', /unknown scheme; accepted: .*double/],
    ['kurrentdb://', /kurrentdb: needs hosts/],
    ['kurrentdb://localhost:abc?tls=false', /"localhost:abc" is not a host\[:port\]/],
    ['kurrentdb://localhost:99999?tls=false', /port 99999 of "localhost:99999" is not 1-65535/],
    ['esdb://db1:2113,:2113', /":2113" is not a host\[:port\]/],
  ])('refuses --store %s with one line saying what is accepted', (value, message) => {
    const refusal = oneLine(() => parseBenchTarget(value, undefined));
    expect(refusal).toBeInstanceOf(BenchArgumentError);
    expect(refusal.message).toMatch(message);
    expect(refusal.message.startsWith(`--store="${value}" is not valid: `)).toBe(true);
  });

  it('labels the table header and every row of a run', () => {
    const rows = [
      resultRow('sequential', 'throughput', 'events/s', 100, 'ref', 200),
      resultRow('read-all', 'throughput', 'events/s', 300, 'ref', 400),
    ];
    const lines = labelTable(renderTable(rows), DOUBLE_LABEL).split('\n');
    const header = lines.findIndex((line) => line.startsWith('case'));
    expect(lines[header]).toMatch(/\bstore$/);
    const body = lines.slice(header + 2);
    expect(body).toHaveLength(rows.length);
    for (const line of body) expect(line.endsWith(DOUBLE_LABEL)).toBe(true);
  });
});
