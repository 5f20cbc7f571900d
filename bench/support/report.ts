import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One result: our value for a case and metric beside the reference measured in the same run. */
export interface ResultRow {
  case: string;
  metric: string;
  value: number;
  unit: string;
  reference: string;
  reference_value: number;
  /** ours / reference: for throughput higher is better, for latency lower is better. */
  ratio: number;
}

/** A target on a row's ratio: met when ratio >= min. */
export interface Goal {
  case: string;
  metric: string;
  min: number;
}

export function resultRow(
  caseId: string,
  metric: string,
  unit: string,
  value: number,
  reference: string,
  referenceValue: number,
): ResultRow {
  return {
    case: caseId,
    metric,
    value,
    unit,
    reference,
    reference_value: referenceValue,
    ratio: value / referenceValue,
  };
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'ms') return value.toFixed(3);
  return Math.round(value).toLocaleString('en-US');
}

/** A fixed-width text table of the rows, with each goal beside the row it applies to. */
export function renderTable(rows: readonly ResultRow[], goals: readonly Goal[] = []): string {
  const header = ['case', 'metric', 'unit', 'ours', 'reference', 'ratio', 'goal'];
  const body = rows.map((row) => {
    const goal = goals.find((g) => g.case === row.case && g.metric === row.metric);
    const verdict = goal ? `>= ${goal.min} ${row.ratio >= goal.min ? 'met' : 'MISSED'}` : '';
    return [
      row.case,
      row.metric,
      row.unit,
      formatValue(row.value, row.unit),
      formatValue(row.reference_value, row.unit),
      row.ratio.toFixed(2),
      verdict,
    ];
  });
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const legend =
    'ratio = ours / reference. Throughput: higher is better. Latency (p50, p99 per acknowledged append, ms): lower is better, so a ratio below 1 is good.';
  return [legend, '', line(header), rule, ...body.map(line)].join('\n');
}

/** Writes the rows as a JSON array, creating the directory if needed. */
export function writeJson(path: string, rows: readonly ResultRow[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(rows, null, 2)}\n`);
}
