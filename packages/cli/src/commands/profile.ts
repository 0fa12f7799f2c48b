import { oneFile, parseCommandArgs } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import { bytes, count, duration } from '../cli/format.js';
import type { Io } from '../cli/io.js';
import { loadModel } from '../cli/load.js';
import type { Command } from './command.js';

const USAGE = `usage: testtrace profile FILE [--test=PATTERN | --file=PATTERN | --worker=N] [--format=F] -o OUT

Writes the CPU samples that fall inside the chosen tests, files or worker (else the whole run) as
a profile for the profilers people know. The trace needs CPU samples: record it with
--trace-detail=full. Frames are in the user's files, as in testtrace stalls.
  --test=PATTERN   tests whose full name (suite > test) contains PATTERN, or matches it with
                   * and ?; every attempt of each; combine with --file and --worker to narrow
  --file=PATTERN   test files (paths relative to the run's root) that contain or match PATTERN
  --worker=N       worker N's samples (with --test or --file: only on that worker)
  --format=F       pprof (default: gzipped profile.proto, for go tool pprof, Pyroscope,
                   speedscope) or cpuprofile (Chrome DevTools, speedscope, VS Code)
  -o, --output=OUT the profile to write (required)`;

const FORMATS = ['pprof', 'cpuprofile'] as const;

export const profileCommand: Command = {
  name: 'profile',
  summary: 'CPU samples of chosen tests, files or a worker as pprof or .cpuprofile',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs('profile', argv, {
      test: { type: 'string' },
      file: { type: 'string' },
      worker: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    const v = values as Record<string, string | undefined>;
    const format = v.format ?? 'pprof';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`, 'profile');
    if (v.output === undefined || v.output === '') throw new UsageError('missing -o OUT: testtrace profile FILE [--test=PATTERN] -o OUT', 'profile');
    let worker: number | undefined;
    if (v.worker !== undefined) {
      worker = Number(v.worker);
      if (!Number.isInteger(worker) || worker < 1) throw new UsageError(`--worker must be a worker's number (1, 2, …), got ${JSON.stringify(v.worker)}`, 'profile');
    }
    for (const name of ['test', 'file'] as const) if (v[name] === '') throw new UsageError(`--${name} must not be empty`, 'profile');
    const file = oneFile('profile', positionals);
    const model = await loadModel(file, io);
    const { writeProfile } = await import('../profile/write-profile.js');
    const result = writeProfile(model, file, { test: v.test, file: v.file, worker }, format as (typeof FORMATS)[number], v.output);
    io.out(`wrote ${v.output} (${format}, ${bytes(result.bytes)}): ${count(result.samples, 'CPU sample')}, ${duration(result.cpuMs)} of CPU, in ${result.label}${result.windows > 1 ? ` (${result.windows} spans)` : ''}`);
    return 0;
  },
};
