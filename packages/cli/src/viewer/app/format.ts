import { ordinal } from '../../cli/format.js';

/** Formats µs for axis labels and tooltips: 850 µs, 12.3 ms, 4.56 s. */
export function formatUs(us: number): string {
  const a = Math.abs(us);
  if (a === 0) return '0';
  if (a < 1) return `${(us * 1000).toFixed(0)} ns`;
  if (a < 1000) return `${trim(us, a < 10 ? 2 : a < 100 ? 1 : 0)} µs`;
  if (a < 1e6) return `${trim(us / 1000, a < 1e4 ? 2 : a < 1e5 ? 1 : 0)} ms`;
  return `${trim(us / 1e6, a < 1e7 ? 2 : 1)} s`;
}

/** Formats ms as the CLI does: 0.42 ms, 12.3 ms, 4.56 s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return formatUs(ms * 1000);
}

export function formatBytes(bytes: number): string {
  const a = Math.abs(bytes);
  if (a < 1024) return `${bytes} B`;
  if (a < 1024 * 1024) return `${trim(bytes / 1024, 1)} KiB`;
  if (a < 1024 ** 3) return `${trim(bytes / 1024 / 1024, 1)} MiB`;
  return `${trim(bytes / 1024 ** 3, 2)} GiB`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${trim(ratio * 100, ratio < 0.1 ? 2 : 1)}%`;
}

function trim(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A test's full name, with its place among the tests of its file that share it from the second on, as the CLI prints it. */
export function testName(t: { fullName: string; nameIndex?: number }): string {
  return t.nameIndex !== undefined && t.nameIndex > 1 ? `${t.fullName} (${ordinal(t.nameIndex)})` : t.fullName;
}
