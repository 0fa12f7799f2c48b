import type { ExportSpan } from './span.js';

/** A span of a file waiting for the file's own span, which the trace writes last (spans are written as they end). */
export interface Member {
  span: ExportSpan;
  tid: number;
}

/** Times are µs with nanosecond decimals; a child that ends where its parent ends may differ by float rounding. */
const EPSILON = 0.01;

const RANK: Record<string, number> = { file: 0, suite: 1, test: 2, hook: 3, phase: 3 };

function contains(parent: ExportSpan, child: ExportSpan): boolean {
  return parent.start <= child.start + EPSILON && child.end <= parent.end + EPSILON;
}

/**
 * Sets the parent of every span of one file's run: a suite or test in the innermost suite around
 * it (else the file); a hook or phase in the test around it on its own track (a test's
 * beforeEach, Jest's `test body`), else in the innermost suite (beforeAll), else the file. Spans
 * outside the file's own span (Vitest's environment setup, before it) belong to the file too.
 * Without a file span (its worker died before writing it), the top spans go under `fallback`.
 */
export function resolveParents(members: readonly Member[], root: ExportSpan | undefined, fallback: string): void {
  const top = root?.spanId ?? fallback;
  const sorted = members
    .filter((m) => m.span !== root)
    .sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end || RANK[a.span.kind]! - RANK[b.span.kind]!);
  const suites: ExportSpan[] = [];
  const lastTest = new Map<number, ExportSpan>();
  for (const { span, tid } of sorted) {
    while (suites.length > 0 && !contains(suites[suites.length - 1]!, span)) suites.pop();
    const suite = suites[suites.length - 1];
    const outer = suite?.spanId ?? top;
    switch (span.kind) {
      case 'suite':
        span.parentSpanId = outer;
        suites.push(span);
        break;
      case 'test':
        span.parentSpanId = outer;
        lastTest.set(tid, span);
        break;
      default: {
        const test = lastTest.get(tid);
        span.parentSpanId = test && contains(test, span) && (!suite || contains(suite, test)) ? test.spanId : outer;
      }
    }
  }
  adoptByName(sorted.map((m) => m.span), top);
  if (root && root.parentSpanId === undefined) root.parentSpanId = fallback;
}

/**
 * A test or suite that no suite holds in time, although its full name says it is in one, goes
 * under the suite of that name nearest in time: Vitest writes a skipped test as a zero-length
 * span after its suite's end.
 */
function adoptByName(spans: readonly ExportSpan[], top: string): void {
  const suites = new Map<string, ExportSpan[]>();
  for (const s of spans) {
    if (s.kind !== 'suite') continue;
    const name = String(s.attributes['test.suite.name']);
    const list = suites.get(name);
    if (list) list.push(s);
    else suites.set(name, [s]);
  }
  if (suites.size === 0) return;
  for (const s of spans) {
    if (s.parentSpanId !== top || (s.kind !== 'test' && s.kind !== 'suite')) continue;
    const own = String(s.attributes['test.suite.name']);
    const path = s.kind === 'test' ? own : own.endsWith(` > ${s.name}`) ? own.slice(0, -(s.name.length + 3)) : '';
    const candidates = suites.get(path);
    if (!candidates) continue;
    const gap = (c: ExportSpan) => Math.max(0, c.start - s.end, s.start - c.end);
    s.parentSpanId = candidates.reduce((best, c) => (gap(c) < gap(best) ? c : best)).spanId;
  }
}

/**
 * A suite's `test.suite.run.status` when the trace gives none (Jest's suites): failure when a
 * test under it failed, skipped when every test under it was skipped, else success.
 */
export function suiteStatuses(spans: readonly ExportSpan[]): void {
  const byId = new Map<string, ExportSpan>();
  for (const s of spans) byId.set(s.spanId, s);
  const failed = new Set<string>();
  const ran = new Set<string>();
  const any = new Set<string>();
  for (const s of spans) {
    if (s.kind !== 'test') continue;
    const status = s.attributes['testtrace.status'];
    for (let p = byId.get(s.parentSpanId ?? ''); p?.kind === 'suite'; p = byId.get(p.parentSpanId ?? '')) {
      any.add(p.spanId);
      if (status === 'failed') failed.add(p.spanId);
      if (status !== 'skipped' && status !== 'todo') ran.add(p.spanId);
    }
  }
  for (const s of spans) {
    if (s.kind !== 'suite' || s.attributes['test.suite.run.status'] !== undefined || !any.has(s.spanId)) continue;
    s.attributes['test.suite.run.status'] = failed.has(s.spanId) ? 'failure' : ran.has(s.spanId) ? 'success' : 'skipped';
  }
}
