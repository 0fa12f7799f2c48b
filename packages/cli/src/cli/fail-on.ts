import type { Change, DiffReport } from '@testtrace/core/analysis';

/**
 * `--fail-on=EXPR` of `testtrace diff`: conditions on the diff's changes that make the command
 * exit with EXIT_FAIL_ON, so that a CI step can gate on them. EXPR is terms joined by commas; the
 * command fails when any term holds:
 *
 *   METRIC>N%     a change of METRIC, slower or larger, by more than N percent of the base
 *   METRIC>Nms    … by more than N milliseconds (also `Ns`)
 *   new-leaks     a test leaks a resource (type and creation site) the base did not
 *   new-failures  a test fails that passed (or did not exist) in the base
 *   new-stalls    an owner with no stall in the base has one in the head
 *   flaky         a test passed only on a retry in the head and never in the base
 *   new-tests, removed-tests, renamed-tests
 *                 a test is new, removed or renamed (tests matched by name, renames: diff/renames.ts)
 *   new-modules, removed-modules
 *                 a module appeared in, or disappeared from, the import graph
 *   any           any change at all
 *
 * METRIC is `wall`, `busy`, `gc` (the run's), `test`, `file` (any test's or file's duration),
 * `import` (any file's import), `module` (any module's own load time, or a new module's) or
 * `stall` (any owner's stall time). Only changes that cleared the noise count: `wall>5%` holds
 * when the diff reports the wall time as changed and by more than 5%.
 */
export const EXIT_FAIL_ON = 3;

export type FailTerm =
  | { kind: 'flag'; flag: Flag; text: string }
  | { kind: 'limit'; metric: Metric; value: number; unit: '%' | 'ms'; text: string };

const METRICS = ['wall', 'busy', 'gc', 'test', 'file', 'import', 'module', 'stall'] as const;
type Metric = (typeof METRICS)[number];

/** The flags that hold for changes of one kind, and the kind. */
const KIND_FLAGS = {
  'new-leaks': 'new leak',
  'new-failures': 'new failure',
  flaky: 'flaky',
  'new-tests': 'new test',
  'removed-tests': 'removed test',
  'renamed-tests': 'renamed test',
  'new-modules': 'new module',
  'removed-modules': 'removed module',
} as const satisfies Record<string, Change['kind']>;
const FLAGS = ['new-leaks', 'new-failures', 'new-stalls', 'flaky', 'new-tests', 'removed-tests', 'renamed-tests', 'new-modules', 'removed-modules', 'any'] as const;
type Flag = (typeof FLAGS)[number];

/** Parses EXPR; throws an Error whose message says what is wrong with which term. */
export function parseFailOn(expr: string): FailTerm[] {
  const terms = expr.split(',').map((t) => t.trim());
  if (terms.some((t) => t === '')) throw new Error(`--fail-on has an empty term in ${JSON.stringify(expr)}`);
  return terms.map((text) => {
    if ((FLAGS as readonly string[]).includes(text)) return { kind: 'flag', flag: text as Flag, text };
    const m = /^([a-z-]+)\s*>\s*(\d+(?:\.\d+)?)\s*(%|ms|s)$/.exec(text);
    if (!m) throw new Error(`--fail-on: cannot read ${JSON.stringify(text)}: use METRIC>N% or METRIC>Nms (METRIC: ${METRICS.join(', ')}) or one of ${FLAGS.join(', ')}`);
    const metric = m[1]!;
    if (!(METRICS as readonly string[]).includes(metric)) throw new Error(`--fail-on: unknown metric ${JSON.stringify(metric)} in ${JSON.stringify(text)}; metrics: ${METRICS.join(', ')}`);
    const n = Number(m[2]);
    return m[3] === '%' ? { kind: 'limit', metric: metric as Metric, value: n, unit: '%', text } : { kind: 'limit', metric: metric as Metric, value: m[3] === 's' ? n * 1000 : n, unit: 'ms', text };
  });
}

function ofMetric(metric: Metric, c: Change): boolean {
  switch (metric) {
    case 'wall':
      return c.kind === 'run' && c.what === 'wall';
    case 'busy':
      return c.kind === 'run' && c.what === 'busy';
    case 'gc':
      return c.kind === 'run' && c.what === 'GC';
    case 'import':
      return (c.kind === 'phase' && c.phase === 'import') || (c.kind === 'time' && c.what === 'import');
    case 'module':
      return c.kind === 'module' || c.kind === 'new module';
    default:
      return c.kind === metric;
  }
}

/** The changes that make one term hold. */
function matches(term: FailTerm, changes: readonly Change[]): Change[] {
  if (term.kind === 'flag') {
    switch (term.flag) {
      case 'any':
        return [...changes];
      case 'new-stalls':
        return changes.filter((c) => c.kind === 'stall' && c.base === 0);
      default: {
        const kind = KIND_FLAGS[term.flag];
        return changes.filter((c) => c.kind === kind);
      }
    }
  }
  return changes.filter((c) => {
    if (!ofMetric(term.metric, c) || c.delta === undefined || c.delta <= 0) return false;
    if (term.unit === 'ms') return c.delta > term.value;
    return c.base === 0 || (c.relative !== undefined && c.relative * 100 > term.value);
  });
}

/** Each term that holds, with the changes that make it hold. */
export function failures(terms: readonly FailTerm[], report: DiffReport): { term: FailTerm; changes: Change[] }[] {
  return terms.map((term) => ({ term, changes: matches(term, report.changes) })).filter((f) => f.changes.length > 0);
}
