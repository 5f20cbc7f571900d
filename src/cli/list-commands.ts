import type Database from 'better-sqlite3';
import { parseAddress } from '../actors/address.js';
import { lookupAgents } from '../projections/lookup/lookup-queries.js';
import { listThreads } from '../projections/threads/threads-queries.js';
import { renderCsv, renderTable } from './format-table.js';

export interface ListDeps {
  db: Database.Database;
  out: (line: string) => void;
  err: (line: string) => void;
}

type Format = 'table' | 'json' | 'csv';

/** `bzzz agents [address] [--format table|json|csv]`: agents matching an address (all by default), best first. */
export function runAgents(args: readonly string[], deps: ListDeps): number {
  const parsed = parseListArgs(args, deps);
  if (!parsed) return 2;
  const matches = lookupAgents(
    deps.db,
    parseAddress(parsed.positional ?? 'bzzz://*'),
    { include_retired: true },
    10_000,
  );
  const headers = ['id', 'role', 'status', 'available', 'tasks', 'performance', 'score', 'project', 'node'];
  const rows = matches.map((m) => [
    m.id,
    m.role,
    m.status,
    m.available ? 'yes' : 'no',
    `${m.current_tasks}/${m.max_tasks}`,
    m.performance.toFixed(2),
    m.score.toFixed(1),
    m.project ?? '',
    m.node_id,
  ]);
  return print(parsed.format, matches, headers, rows, `${matches.length} agents`, deps);
}

/** `bzzz threads [--status S] [--participant ID] [--project P] [--format …]`: threads, latest activity first. */
export function runThreads(args: readonly string[], deps: ListDeps): number {
  const parsed = parseListArgs(args, deps, ['status', 'participant', 'project']);
  if (!parsed) return 2;
  const items = [];
  let cursor: string | undefined;
  do {
    const page = listThreads(deps.db, { ...parsed.filters, limit: 500, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const headers = ['id', 'topic', 'status', 'messages', 'participants', 'last activity', 'stop reason'];
  const rows = items.map((t) => [
    t.id,
    t.topic,
    t.status,
    String(t.message_count),
    t.participants.join(' '),
    t.last_activity,
    t.stop_reason ?? '',
  ]);
  return print(parsed.format, items, headers, rows, `${items.length} threads`, deps);
}

function print(
  format: Format,
  items: readonly unknown[],
  headers: string[],
  rows: string[][],
  summary: string,
  deps: ListDeps,
): number {
  if (format === 'json') deps.out(JSON.stringify(items, null, 2));
  else if (format === 'csv') for (const line of renderCsv(headers, rows)) deps.out(line);
  else {
    for (const line of renderTable(
      headers.map((header) => ({ header })),
      rows,
    ))
      deps.out(line);
    deps.out(summary);
  }
  return 0;
}

function parseListArgs(args: readonly string[], deps: ListDeps, filterNames: readonly string[] = []) {
  let format: Format = 'table';
  let positional: string | undefined;
  const filters: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (flag === undefined) {
      if (positional !== undefined) return fail(deps, `unexpected argument "${arg}"`);
      positional = arg;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) return fail(deps, `--${flag} needs a value`);
    if (flag === 'format') {
      if (value !== 'table' && value !== 'json' && value !== 'csv') {
        return fail(deps, `--format ${value} is not one of table, json, csv`);
      }
      format = value;
    } else if (filterNames.includes(flag)) filters[flag] = value;
    else
      return fail(
        deps,
        `unknown option --${flag}; accepted: ${['format', ...filterNames].map((f) => `--${f}`).join(', ')}`,
      );
  }
  return { format, positional, filters };
}

function fail(deps: ListDeps, message: string): undefined {
  deps.err(`bzzz: ${message}`);
  return undefined;
}
