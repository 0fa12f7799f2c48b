/**
 * An error meant for the user: its message is one line that says what is wrong and what to do.
 * Adapters print `message` alone, without a stack.
 */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(message: string, readonly code: string = 'ETESTTRACE') {
    super(message);
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  return String(err);
}
