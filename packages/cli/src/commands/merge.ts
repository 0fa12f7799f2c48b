import { mergeTraces } from '@testtrace/core/analysis';
import { parseCommandArgs } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import { bytes, count, duration } from '../cli/format.js';
import type { Io } from '../cli/io.js';
import type { Command } from './command.js';

const USAGE = `usage: testtrace merge A B… -o OUT

Merges shard traces (e.g. from CI machines running --shard) into one trace: each shard is
aligned by its run's wall clock, becomes its own process group (processes named "shard N: …"),
and OUT is a closed, strict-JSON trace that the CLI, the viewer and Perfetto open.
  -o, --output=OUT   the merged trace to write (required; must not be one of the inputs)`;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge shard traces into one, aligned by wall clock',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs('merge', argv, { output: { type: 'string', short: 'o' } });
    if (typeof values.output !== 'string' || values.output === '') throw new UsageError('missing -o OUT: testtrace merge A B… -o OUT', 'merge');
    if (positionals.length < 2) throw new UsageError(`needs at least two traces to merge, got ${positionals.length}: testtrace merge A B… -o OUT`, 'merge');
    const result = await mergeTraces(positionals, values.output);
    io.out(`merged ${count(result.shards.length, 'trace')} (${count(result.events, 'event')}, ${bytes(result.bytes)}) into ${result.output}`);
    for (const s of result.shards) {
      const aligned =
        s.alignedBy === 'none' ? 'not aligned: no wall-clock anchor'
        : s.shard === 1 ? 'the clock the others are aligned to'
        : `${s.offsetUs >= 0 ? '+' : '-'}${Math.abs(s.offsetUs) < 1 ? `${Math.abs(s.offsetUs).toFixed(2)} µs` : duration(Math.abs(s.offsetUs) / 1000)} by ${s.alignedBy}`;
      const state = s.truncated ? ', cut short' : s.closed ? '' : ', not closed';
      io.out(`  shard ${s.shard}: ${s.file} (${count(s.events, 'event')}, ${aligned}${state})`);
    }
    return 0;
  },
};
