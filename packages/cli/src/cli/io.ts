import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes: lines to stdout and stderr, and colours when stdout is a terminal. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colours for stdout; all no-ops when colour is off. */
  color: Colors;
  /** Width of the terminal, or undefined when stdout is not one. */
  columns: number | undefined;
}

/**
 * Colour only on a terminal, never with NO_COLOR set (https://no-color.org), always with
 * FORCE_COLOR set to anything but 0.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return stream.isTTY === true;
}

/**
 * A reader that closes the pipe early (`testtrace tests FILE | head -1`) ends the command quietly
 * with status 0, as Unix tools do, instead of an unhandled EPIPE error with a stack.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

export function processIo(): Io {
  exitQuietlyOnClosedPipe(process.stdout);
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: pc.createColors(colorEnabled(process.stdout)),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}
