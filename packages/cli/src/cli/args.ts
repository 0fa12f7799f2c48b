import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses a command's arguments strictly with node:util's parseArgs (unknown options and missing
 * values are errors) and turns its errors into one-line UsageErrors that name the command.
 */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(describeParseError(err, options), command);
  }
}

function describeParseError(err: unknown, options: OptionSpec): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys(options).map((o) => `--${o}`);
      return `unknown option ${option}${known.length ? ` (options: ${known.join(', ')})` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option.replace(/^-+/, '');
      const spec = options[name];
      if (spec?.type === 'boolean') return `${option} takes no value`;
      return `${option} needs a value`;
    }
    default:
      return message.split('\n')[0]!;
  }
}

/** The one trace file a command takes. */
export function oneFile(command: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`missing trace file: testtrace ${command} FILE`, command);
  if (positionals.length > 1) throw new UsageError(`takes one trace file, got ${positionals.length}: ${positionals.join(' ')}`, command);
  return positionals[0]!;
}

/** A non-negative number option. */
export function numberOption(command: string, name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of milliseconds (0 or more), got ${JSON.stringify(value)}`, command);
  return n;
}

/** A whole-number option of at least 1 (a count of rows). */
export function countOption(command: string, name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of 1 or more, got ${JSON.stringify(value)}`, command);
  return n;
}

/** A choice option. */
export function choiceOption<T extends string>(command: string, name: string, value: string | boolean | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`, command);
  return value as T;
}
