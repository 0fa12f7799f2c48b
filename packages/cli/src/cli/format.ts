/** Number formatting for the text reports: durations, shares, bytes, and aligned tables. */

/** A duration given in milliseconds: `1.23 s`, `123 ms`, `12.3 ms`, `1.23 ms`, `456 µs`, `0`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const a = Math.abs(ms);
  if (a === 0) return '0';
  if (a >= 60_000) {
    const m = Math.floor(a / 60_000);
    const s = Math.round((a - m * 60_000) / 1000);
    return `${ms < 0 ? '-' : ''}${m}m ${String(s).padStart(2, '0')}s`;
  }
  if (a >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (a >= 100) return `${ms.toFixed(0)} ms`;
  if (a >= 10) return `${ms.toFixed(1)} ms`;
  if (a >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** A share 0–1 as a percentage. */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return '-';
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return p >= 10 ? `${p.toFixed(0)}%` : `${p.toFixed(1)}%`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

export interface Column {
  header: string;
  /** Right-align (numbers). */
  right?: boolean;
}

/**
 * Aligns rows under headers, two spaces apart. The last column is never padded, so long names
 * stay on one line; on a terminal it is cut to `width` with an ellipsis.
 */
export function table(columns: Column[], rows: string[][], options: TableOptions = {}): string[] {
  const widths = columnWidths(columns, rows);
  const head = tableLine(columns, widths, columns.map((c) => c.header), options);
  return [options.header ? options.header(head) : head, ...rows.map((cells) => tableLine(columns, widths, cells, options))];
}

export interface TableOptions {
  width?: number;
  header?: (s: string) => string;
}

/** The width of each column of table(): its widest cell or header. */
export function columnWidths(columns: Column[], rows: Iterable<string[]>): number[] {
  // a loop, not Math.max(...rows): a spread of hundreds of thousands of rows overflows the stack
  const widths = columns.map((c) => visibleLength(c.header));
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, visibleLength(row[i] ?? ''));
  }
  return widths;
}

/** One line of table(), its columns `widths` wide. */
export function tableLine(columns: Column[], widths: number[], cells: string[], options: TableOptions = {}): string {
  const parts = cells.map((cell, i) => {
    if (i === cells.length - 1) return cell;
    const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)));
    return columns[i]!.right ? pad + cell : cell + pad;
  });
  let text = parts.join('  ').trimEnd();
  if (options.width && visibleLength(text) > options.width && !text.includes('\x1b[')) text = `${text.slice(0, options.width - 1)}…`;
  return text;
}

/** Indents every line of a (stack) text, dropping a leading `Error` line and keeping at most `max` frames. */
export function stackLines(stack: string, indent: string, max = 6): string[] {
  const lines = stack.split('\n').map((l) => l.trim()).filter((l) => l !== '' && l !== 'Error');
  const shown = lines.slice(0, max).map((l) => indent + l);
  if (lines.length > max) shown.push(`${indent}… ${lines.length - max} more`);
  return shown.length ? shown : [`${indent}(no stack recorded)`];
}

/** A test as the tables name it (see core's testLabel), and 1st, 2nd, 3rd, … */
export { ordinal, testLabel } from '@testtrace/core/analysis';
