/** Characters that need no quoting in a POSIX shell word. */
const PLAIN_WORD = /^[\w@%+=:,./-]+$/;

function shellWord(arg: string): string {
  return PLAIN_WORD.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line this process was started with, Node's own flags included
 * (`node --experimental-vm-modules node_modules/jest/bin/jest.js …`): process.argv leaves out
 * process.execArgv. Words that a shell would split or expand are quoted.
 */
export function commandLine(argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv): string {
  const [node, ...rest] = argv;
  return [node ?? 'node', ...execArgv, ...rest].map(shellWord).join(' ');
}
