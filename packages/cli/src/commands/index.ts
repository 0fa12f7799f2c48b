import { UsageError } from '../cli/errors.js';
import type { Command } from './command.js';
import { importsCommand } from './imports.js';
import { diffCommand } from './diff.js';
import { exportCommand } from './export.js';
import { leaksCommand } from './leaks.js';
import { mergeCommand } from './merge.js';
import { mmuCommand } from './mmu.js';
import { profileCommand } from './profile.js';
import { stallsCommand } from './stalls.js';
import { summaryCommand } from './summary.js';
import { testsCommand } from './tests.js';
import { parseViewArgs, runView, ViewUsageError, VIEW_USAGE } from './view.js';

/** `testtrace view`: the web viewer, whose module parses its own arguments. */
const viewCommand: Command = {
  name: 'view',
  summary: 'open the trace in a local web viewer (127.0.0.1)',
  usage: VIEW_USAGE,
  async run(argv, io) {
    let args;
    try {
      args = parseViewArgs(argv);
    } catch (err) {
      if (err instanceof ViewUsageError) throw new UsageError(err.message, 'view');
      throw err;
    }
    return runView(args, io);
  },
};

/** Every subcommand, in the order `testtrace --help` lists them. Add a command by adding its module here. */
export const COMMANDS: readonly Command[] = [summaryCommand, testsCommand, leaksCommand, stallsCommand, importsCommand, mmuCommand, diffCommand, viewCommand, mergeCommand, exportCommand, profileCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export type { Command } from './command.js';
