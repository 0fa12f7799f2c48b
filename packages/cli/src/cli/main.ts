import { TraceError } from '@testtrace/core';
import { COMMANDS, findCommand } from '../commands/index.js';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors.js';
import { processIo, type Io } from './io.js';
import { VERSION } from './version.js';

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: testtrace COMMAND FILE [options]',
    '',
    'go tool trace for JavaScript test runs: analyses of a trace written by @testtrace/vitest or',
    '@testtrace/jest (--trace=FILE).',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`),
    '',
    'testtrace COMMAND --help shows the options of a command; docs/cli.md has the --json schemas.',
    '  -h, --help      show this help',
    '  -v, --version   print the version',
  ].join('\n');
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function unknownCommand(name: string): UsageError {
  const near = COMMANDS.map((c) => c.name).filter((c) => distance(c, name) <= 2);
  const hint = near.length ? `; did you mean ${near.join(' or ')}?` : `; commands: ${COMMANDS.map((c) => c.name).join(', ')}`;
  return new UsageError(`unknown command ${JSON.stringify(name)}${hint}`);
}

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Errors a user can act on are shown as their message; anything else is a bug in testtrace. */
function isUserFacing(err: unknown): err is Error {
  if (err instanceof TraceError || err instanceof UsageError) return true;
  // a TraceError from another copy of the core package
  if (err instanceof Error && (err.name === 'TraceError' || err.name === 'TraceReadError')) return true;
  return err instanceof Error && err.constructor === Error;
}

/**
 * Runs `testtrace ARGV…` and resolves to the exit code: 0 on success, 1 when a trace cannot be
 * read or written, 2 for a bad call. Every failure is one line on stderr, never a stack trace
 * (set TESTTRACE_DEBUG=1 to see the stack of an internal error).
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  let prefix = 'testtrace';
  try {
    if (name === undefined) {
      io.err(usage());
      return EXIT_USAGE;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      const command = topic ? findCommand(topic) : undefined;
      if (topic && !command) throw unknownCommand(topic);
      io.out(command ? command.usage : usage());
      return 0;
    }
    if (name === '--version' || name === '-v') {
      io.out(VERSION);
      return 0;
    }
    if (name.startsWith('-')) throw new UsageError(`unknown option ${name.split('=')[0]}; the command comes first: testtrace COMMAND FILE [options]`);
    const command = findCommand(name);
    if (!command) throw unknownCommand(name);
    prefix = `testtrace ${command.name}`;
    if (wantsHelp(rest)) {
      io.out(command.usage);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${prefix}: ${err.message}`);
      if (err.command) io.err(`run 'testtrace ${err.command} --help' for usage`);
      return EXIT_USAGE;
    }
    if (isUserFacing(err)) {
      io.err(`${prefix}: ${err.message.split('\n')[0]}`);
      return EXIT_FAILURE;
    }
    const message = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
    io.err(`${prefix}: internal error: ${message} (set TESTTRACE_DEBUG=1 for the stack)`);
    if (process.env.TESTTRACE_DEBUG && err instanceof Error) io.err(err.stack ?? '');
    return EXIT_FAILURE;
  }
}
