import { resolve } from 'node:path';
import { parseStoreUrl, STORE_URL_FORMS } from '../../src/config/store-url.js';

/**
 * What `npm run bench:store -- --store <value>` measures. Every row written for the test double carries
 * DOUBLE_LABEL, and its results go to their own file: the double is an in-process fixture, and its
 * numbers say nothing about KurrentDB's speed.
 */
export type BenchTarget =
  | { kind: 'sqlite'; label: string; out: string; ignoredUrl?: string }
  | { kind: 'kurrentdb'; label: string; out: string; connectionString: string }
  | { kind: 'double'; label: string; out: string };

export const DOUBLE_LABEL = 'KurrentDB TEST DOUBLE (in-process fixture, not KurrentDB speed)';
export const SQLITE_OUT = 'bench-results/store.json';
export const KURRENTDB_OUT = 'bench-results/store-kurrentdb.json';
export const DOUBLE_OUT = 'bench-results/store-kurrentdb-double.json';
const DOUBLE_FORMS = ['double', 'kurrentdb+double:', 'kurrentdb+double://'];
export const BENCH_STORE_FORMS = `${STORE_URL_FORMS}, or double (kurrentdb+double:) for the in-process test double`;

/** A `--store` or `--out` value that is not accepted; the message is one line. */
export class BenchArgumentError extends Error {
  override name = 'BenchArgumentError';
}

/** The connection string without credentials (`user:password@`), for headers and result files. */
export function redactCredentials(connectionString: string): string {
  return connectionString.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}

/**
 * The hosts of a kurrentdb:// or esdb:// string, each `host[:port]` with a port in 1..65535: checked
 * here so that a typo stops the benchmark with one line instead of a client stack trace.
 */
function checkHosts(value: string): void {
  const afterScheme = value.slice(value.indexOf('://') + 3);
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1);
  for (const host of hosts.split(',')) {
    const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?)(?::(\d+))?$/i.exec(host);
    if (!match)
      throw new BenchArgumentError(`--store="${value}" is not valid: "${host}" is not a host[:port]`);
    const port = match[3] === undefined ? 2113 : Number(match[3]);
    if (!(port >= 1 && port <= 65535)) {
      throw new BenchArgumentError(
        `--store="${value}" is not valid: port ${match[3]} of "${host}" is not 1-65535`,
      );
    }
  }
}

/** Reads `--store` (absent: the embedded store, as without the flag) and `--out`. */
export function parseBenchTarget(store: string | undefined, out: string | undefined): BenchTarget {
  const target = parseStore(store);
  if (out === undefined) return target;
  if (target.kind !== 'sqlite' && resolve(out) === resolve(SQLITE_OUT)) {
    throw new BenchArgumentError(
      `--out=${out} holds the embedded store's results; ${target.kind === 'double' ? 'the test double' : 'KurrentDB'} results go to ${target.out} (or another file)`,
    );
  }
  return { ...target, out };
}

function parseStore(value: string | undefined): BenchTarget {
  if (value === undefined) return { kind: 'sqlite', label: 'embedded SQLite', out: SQLITE_OUT };
  if (DOUBLE_FORMS.includes(value.toLowerCase()))
    return { kind: 'double', label: DOUBLE_LABEL, out: DOUBLE_OUT };
  let location;
  try {
    location = parseStoreUrl(value);
  } catch (error) {
    const reason = (error as Error).message.replace(/accepted: .*$/, `accepted: ${BENCH_STORE_FORMS}`);
    throw new BenchArgumentError(`--store="${value}" is not valid: ${reason}`);
  }
  if (location.kind === 'sqlite') {
    return { kind: 'sqlite', label: 'embedded SQLite', out: SQLITE_OUT, ignoredUrl: value };
  }
  checkHosts(value);
  return {
    kind: 'kurrentdb',
    label: `KurrentDB at ${redactCredentials(value)}`,
    out: KURRENTDB_OUT,
    connectionString: location.connectionString,
  };
}

/**
 * The rendered table with a `store` column naming what was measured on the header and on every row, so
 * no line of it can be quoted without its label.
 */
export function labelTable(table: string, label: string): string {
  const lines = table.split('\n');
  const header = lines.findIndex((line) => line.startsWith('case'));
  if (header < 0) return `${label}\n${table}`;
  const width = Math.max(...lines.slice(header).map((line) => line.length));
  return lines
    .map((line, i) => {
      if (i < header || line.length === 0) return line;
      const cell = i === header ? 'store' : i === header + 1 ? '-'.repeat(label.length) : label;
      return `${line.padEnd(width)}  ${cell}`;
    })
    .join('\n');
}
