/** Text output of the CLI's reports and listings: aligned tables and CSV. */

export type Align = 'left' | 'right';

export interface TableColumn {
  header: string;
  /** Numbers read best right-aligned; the default is left. */
  align?: Align;
}

export type Cell = string | number | null | undefined;

const GAP = '  ';

function pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/**
 * An aligned table: the header, a rule, the rows, then (when given) a rule and the footer rows (totals).
 * Rows shorter than the columns are padded with empty cells; trailing spaces are trimmed.
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  footer: readonly (readonly string[])[] = [],
): string[] {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...[...rows, ...footer].map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => pad(cells[i] ?? '', widths[i]!, column.align ?? 'left'))
      .join(GAP)
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join(GAP);
  const lines = [line(columns.map((column) => column.header)), rule, ...rows.map(line)];
  if (footer.length > 0) lines.push(rule, ...footer.map(line));
  return lines;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; null is empty. */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV lines: the header, then one line per row. */
export function renderCsv(headers: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  return [headers, ...rows].map((row) => row.map(csvField).join(','));
}

/** An integer with thousands separators (12,345). */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** A USD amount with a fixed number of decimals (6: a millionth of a dollar); null as `unknown`. */
export function formatUsd(value: number | null, decimals = 6): string {
  return value === null ? 'unknown' : value.toFixed(decimals);
}
