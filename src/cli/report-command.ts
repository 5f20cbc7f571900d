import type Database from 'better-sqlite3';
import { BzzzError } from '../errors.js';
import {
  COST_DIMENSIONS,
  type CostByOptions,
  type CostDimension,
  type CostRow,
  costBy,
  parseTimeBound,
  roundUsd,
} from '../projections/cost/cost-queries.js';
import { hasCostSchema } from '../projections/cost/cost-schema.js';
import { type TableColumn, formatCount, formatUsd, renderCsv, renderTable } from './format-table.js';

export const REPORT_USAGE = `usage: bzzz report cost [--by ${COST_DIMENSIONS.join('|')}] [--since <iso>] [--until <iso>]
                        [--agent <id>] [--model <name>] [--thread <id>] [--format table|json|csv]

  --by       how to group usage (default: model); days and months are UTC
  --since    from this ISO date (start of the UTC day) or date-time with a zone, inclusive
  --until    to this ISO date (end of the UTC day) or date-time with a zone, inclusive
  --format   table (default, with a total line), json (an array of rows) or csv (with a header)

costs of unknown amount are counted in "unknown cost", never as zero.`;

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const OPTIONS = ['by', 'since', 'until', 'format', 'agent', 'model', 'thread'] as const;
type Option = (typeof OPTIONS)[number];

export interface ReportDeps {
  /** The read-model database the `cost` projection writes. */
  db: Database.Database;
  out: (line: string) => void;
  /** Where errors go; `out` when absent. */
  err?: (line: string) => void;
}

class UsageError extends Error {}

interface CostReportRequest {
  query: CostByOptions;
  format: Format;
}

/**
 * `bzzz report <args>`: `args` start after `report`. Returns the exit code: 0, 1 when the cost view is
 * missing, 2 for bad arguments (one line on `err`).
 */
export function runReport(args: readonly string[], deps: ReportDeps): number {
  const err = deps.err ?? deps.out;
  const [report, ...rest] = args;
  if (report === undefined) {
    err('bzzz report: name a report; accepted: cost (bzzz report --help shows the options)');
    return 2;
  }
  if (report === 'help' || report === '--help' || report === '-h') {
    for (const line of REPORT_USAGE.split('\n')) deps.out(line);
    return 0;
  }
  let request: CostReportRequest;
  try {
    if (report !== 'cost') throw new UsageError(`unknown report "${report}"; accepted: cost`);
    if (rest.some((arg) => arg === '--help' || arg === '-h')) {
      for (const line of REPORT_USAGE.split('\n')) deps.out(line);
      return 0;
    }
    request = parseCostArgs(rest);
  } catch (error) {
    if (error instanceof UsageError || error instanceof BzzzError) {
      err(`bzzz report: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (!hasCostSchema(deps.db)) {
    err('bzzz report: this read-model database has no cost view (the cost projection has never run on it)');
    return 1;
  }
  const rows = costBy(deps.db, request.query);
  for (const line of formatCostRows(rows, request.query.by, request.format)) deps.out(line);
  return 0;
}

function parseCostArgs(args: readonly string[]): CostReportRequest {
  const given = new Map<Option, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) as Option;
    if (!OPTIONS.includes(name)) {
      throw new UsageError(`unknown option "${arg}"; accepted: ${OPTIONS.map((o) => `--${o}`).join(', ')}`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (value === '') throw new UsageError(`--${name} needs a value`);
    if (given.has(name)) throw new UsageError(`--${name} is given twice`);
    given.set(name, value);
  }

  const by = given.get('by') ?? 'model';
  if (!(COST_DIMENSIONS as readonly string[]).includes(by)) {
    throw new UsageError(`--by "${by}" is not accepted; use one of: ${COST_DIMENSIONS.join(', ')}`);
  }
  const format = given.get('format') ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format "${format}" is not accepted; use one of: ${FORMATS.join(', ')}`);
  }
  const query: CostByOptions = { by: by as CostDimension };
  const since = given.get('since');
  const until = given.get('until');
  const sinceBound = since === undefined ? undefined : parseTimeBound(since, '--since');
  const untilBound = until === undefined ? undefined : parseTimeBound(until, '--until');
  if (sinceBound && untilBound) {
    const end = Date.parse(untilBound.iso) + (untilBound.dateOnly ? 86_400_000 : 1);
    if (Date.parse(sinceBound.iso) >= end)
      throw new UsageError(`--since "${since}" is after --until "${until}"`);
  }
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  for (const name of ['agent', 'model', 'thread'] as const) {
    const value = given.get(name);
    if (value !== undefined) query[name] = value;
  }
  return { query, format: format as Format };
}

const NUMBER_FIELDS = [
  'calls',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'total_tokens',
  'unknown_cost_calls',
] as const;

/** The rows of `costBy` as table, CSV or JSON lines. */
export function formatCostRows(rows: readonly CostRow[], by: CostDimension, format: Format): string[] {
  if (format === 'json') return JSON.stringify(rows, null, 2).split('\n');
  if (format === 'csv') {
    return renderCsv(
      [
        by,
        'calls',
        'prompt_tokens',
        'cached_tokens',
        'completion_tokens',
        'total_tokens',
        'cost_usd',
        'unknown_cost_calls',
      ],
      rows.map((row) => [
        row.key,
        row.calls,
        row.prompt_tokens,
        row.cached_tokens,
        row.completion_tokens,
        row.total_tokens,
        row.cost_usd,
        row.unknown_cost_calls,
      ]),
    );
  }
  if (rows.length === 0) return ['no usage recorded for this selection'];
  const columns: TableColumn[] = [
    { header: by.toUpperCase() },
    { header: 'CALLS', align: 'right' },
    { header: 'PROMPT', align: 'right' },
    { header: 'CACHED', align: 'right' },
    { header: 'COMPLETION', align: 'right' },
    { header: 'TOTAL TOKENS', align: 'right' },
    { header: 'COST (USD)', align: 'right' },
    { header: 'UNKNOWN COST', align: 'right' },
  ];
  const cells = (key: string, row: Omit<CostRow, 'key'>) => [
    key,
    formatCount(row.calls),
    formatCount(row.prompt_tokens),
    formatCount(row.cached_tokens),
    formatCount(row.completion_tokens),
    formatCount(row.total_tokens),
    formatUsd(row.cost_usd),
    formatCount(row.unknown_cost_calls),
  ];
  const total: Omit<CostRow, 'key'> = {
    calls: 0,
    prompt_tokens: 0,
    cached_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cost_usd: null,
    unknown_cost_calls: 0,
  };
  for (const row of rows) {
    for (const field of NUMBER_FIELDS) total[field] += row[field];
    if (row.cost_usd !== null) total.cost_usd = roundUsd((total.cost_usd ?? 0) + row.cost_usd);
  }
  return renderTable(
    columns,
    rows.map((row) => cells(row.key ?? '(none)', row)),
    [cells('TOTAL', total)],
  );
}
