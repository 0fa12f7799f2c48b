import { diff, runFigures, type DiffReport, type RunFigures } from '@testtrace/core/analysis';
import { parseCommandArgs } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import { EXIT_FAIL_ON, failures, parseFailOn, type FailTerm } from '../cli/fail-on.js';
import { expandFiles } from '../cli/files.js';
import type { Io } from '../cli/io.js';
import { loadModel } from '../cli/load.js';
import type { Command } from './command.js';
import { renderDiffMarkdown } from './diff-markdown.js';
import { renderDiff, signed, relativeOf } from './diff-text.js';

const USAGE = `usage: testtrace diff BASE HEAD [options]
       testtrace diff --base A.out B.out… --head C.out D.out… [options]

What changed between two runs of a suite: the run's wall and busy time, utilisation and where
the time went; tests and files slower or faster; new, removed, renamed and moved tests; tests that
started or stopped failing or became flaky; new leaks, new stalls, GC and heap per file; modules
whose load time changed, that are new to the import graph or gone from it. Only changes beyond
noise are reported: give each side several runs of the same code (--base/--head, wildcards
allowed: 'base-*.out') to see smaller changes; the method is in docs/cli.md. To browse the
changes with both timelines: testtrace view --diff BASE HEAD.
  --base FILE…     the runs before the change (instead of BASE)
  --head FILE…     the runs after it (instead of HEAD)
  --json           print the diff as JSON (schema in docs/cli.md)
  --markdown       print it as GitHub-flavoured Markdown, short, for a CI job summary or PR comment
  --fail-on=EXPR   exit ${EXIT_FAIL_ON} when a condition holds: comma-separated wall>5%, busy>…, gc>…,
                   test>20%, file>…, import>200ms, module>…, stall>…, new-leaks, new-failures,
                   new-stalls, flaky, new-tests, removed-tests, renamed-tests, new-modules,
                   removed-modules, any`;

interface DiffArgs {
  base: string[];
  head: string[];
  json: boolean;
  markdown: boolean;
  failOn: FailTerm[];
}

/** `--base A B --head C D`: each list runs to the next option. parseArgs takes one value per option, so these are taken out first. */
function takeLists(argv: string[]): { rest: string[]; base?: string[]; head?: string[] } {
  const rest: string[] = [];
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(base|head)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const name = m[1]!;
    if (lists[name]) throw new UsageError(`--${name} given twice: list every file after one --${name}`, 'diff');
    const list: string[] = m[2] !== undefined ? [m[2]] : [];
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) list.push(argv[++i]!);
    if (list.length === 0 || list.includes('')) throw new UsageError(`--${name} needs at least one trace file`, 'diff');
    lists[name] = list;
  }
  return { rest, ...lists };
}

function parseDiffArgs(argv: string[]): DiffArgs {
  const { rest, base, head } = takeLists(argv);
  const { values, positionals } = parseCommandArgs('diff', rest, { json: { type: 'boolean' }, markdown: { type: 'boolean' }, 'fail-on': { type: 'string' } });
  if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other', 'diff');
  let sides: [string[], string[]];
  if (base || head) {
    if (!base || !head) throw new UsageError(`--${base ? 'head' : 'base'} is missing: give both --base FILE… and --head FILE…`, 'diff');
    if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}: with --base and --head, list every file after them`, 'diff');
    sides = [base, head];
  } else {
    if (positionals.length !== 2) throw new UsageError(`takes two traces, BASE and HEAD, got ${positionals.length}${positionals.length ? `: ${positionals.join(' ')}` : ''}`, 'diff');
    sides = [[positionals[0]!], [positionals[1]!]];
  }
  const expand = (files: string[]) => {
    try {
      return files.flatMap(expandFiles);
    } catch (err) {
      throw new UsageError((err as Error).message, 'diff');
    }
  };
  let failOn: FailTerm[] = [];
  if (values['fail-on'] !== undefined) {
    try {
      failOn = parseFailOn(String(values['fail-on']));
    } catch (err) {
      throw new UsageError((err as Error).message, 'diff');
    }
  }
  return { base: expand(sides[0]), head: expand(sides[1]), json: values.json === true, markdown: values.markdown === true, failOn };
}

/** Reads each trace in turn and keeps only its figures, so a diff of many runs holds one model at a time. */
async function figuresOf(files: string[], io: Io): Promise<RunFigures[]> {
  const out: RunFigures[] = [];
  for (const file of files) out.push(runFigures(await loadModel(file, io)));
  return out;
}

function failLines(terms: FailTerm[], report: DiffReport): string[] {
  return failures(terms, report).map(({ term, changes }) => {
    const first = changes[0]!;
    const size = first.delta !== undefined && first.unit ? ` ${signed(first.delta, first.unit)} ${relativeOf(first)}`.trimEnd() : '';
    return `--fail-on ${term.text} holds: ${first.kind} ${first.what}${size}${changes.length > 1 ? ` (and ${changes.length - 1} more)` : ''}`;
  });
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'what changed between runs: slower tests, new leaks and failures, beyond noise',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const args = parseDiffArgs(argv);
    const report = diff(await figuresOf(args.base, io), await figuresOf(args.head, io));
    if (args.json) io.out(JSON.stringify(report, null, 2));
    else if (args.markdown) io.out(renderDiffMarkdown(report).join('\n'));
    else io.out(renderDiff(report, io.color, io.columns).join('\n'));
    const failed = failLines(args.failOn, report);
    for (const line of failed) io.err(`testtrace diff: ${line}`);
    return failed.length ? EXIT_FAIL_ON : 0;
  },
};

