import type { ResultRow } from '../support/report.js';

/** A target on a row's ratio: at most `max` (latency ratios: lower is better). */
export interface MaxGoal {
  case: string;
  metric: string;
  max: number;
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'ms') return value.toFixed(3);
  return Math.round(value).toLocaleString('en-US');
}

export function goalOf(row: ResultRow, goals: readonly MaxGoal[]): MaxGoal | undefined {
  return goals.find((g) => g.case === row.case && g.metric === row.metric);
}

export function goalMet(row: ResultRow, goal: MaxGoal): boolean {
  return row.ratio <= goal.max;
}

/** A fixed-width table of the rows, each goal beside the row it applies to. */
export function renderTable(rows: readonly ResultRow[], goals: readonly MaxGoal[]): string {
  const header = ['case', 'metric', 'unit', 'ours', 'reference', 'ratio', 'goal'];
  const body = rows.map((row) => {
    const goal = goalOf(row, goals);
    return [
      row.case,
      row.metric,
      row.unit,
      formatValue(row.value, row.unit),
      formatValue(row.reference_value, row.unit),
      row.ratio.toFixed(2),
      goal ? `<= ${goal.max} ${goalMet(row, goal) ? 'met' : 'MISSED'}` : '',
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
  return [line(header), rule, ...body.map(line)].join('\n');
}
