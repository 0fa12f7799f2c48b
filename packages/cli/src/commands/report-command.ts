import type { TraceTables } from '@testtrace/core/analysis';
import { oneFile, parseCommandArgs } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import type { Io } from '../cli/io.js';
import { loadTables } from '../cli/load.js';
import type { Command } from './command.js';

type Values = Record<string, string | boolean | undefined>;

/**
 * A command that reads one trace, builds one report from its model and prints it: as JSON with
 * `--json`, as Markdown with `--markdown` (when the command has a Markdown form), as text otherwise.
 * `options` are the command's flags besides `--json`; `check` validates
 * them before the trace is read, so a bad flag fails without reading a large file. `load` reads
 * the trace: its tables by default (under 200 bytes a test, against about 1 KB for the whole
 * model of loadModel, which a report that needs each test's record asks for).
 */
export function reportCommand<R, P, M extends TraceTables = TraceTables>(spec: {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, { type: 'string' | 'boolean' }>;
  check?: (values: Values) => P;
  load?: (file: string, io: Io) => Promise<M>;
  build: (model: M, params: P) => R;
  render: (report: R, io: Io) => string[];
  /** The report as GitHub-flavoured Markdown, for `--markdown`. */
  markdown?: (report: R) => string[];
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv: string[], io: Io): Promise<number> {
      const { values, positionals } = parseCommandArgs(spec.name, argv, { ...spec.options, json: { type: 'boolean' }, ...(spec.markdown ? { markdown: { type: 'boolean' } } : {}) });
      if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other', spec.name);
      const params = spec.check ? spec.check(values as Values) : (undefined as P);
      const load = spec.load ?? (loadTables as unknown as (file: string, io: Io) => Promise<M>);
      const model = await load(oneFile(spec.name, positionals), io);
      const report = spec.build(model, params);
      io.out(values.json ? JSON.stringify(report, null, 2) : values.markdown && spec.markdown ? spec.markdown(report).join('\n') : spec.render(report, io).join('\n'));
      return 0;
    },
  };
}
