/** Recognises what a file is from its first bytes, so that a non-trace gets a helpful one-line message. */

const GZIP = [0x1f, 0x8b];

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP[0] && head[1] === GZIP[1];
}

interface Magic {
  bytes: number[];
  what: string;
}

const MAGICS: Magic[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip file?' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'an empty zip file?' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an ELF executable?' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image?' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image?' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document?' },
  { bytes: [0x42, 0x5a, 0x68], what: 'a bzip2 file?' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a], what: 'an xz file?' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd file?' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database?' },
];

const GO_TRACE = /^go 1\.\d+ trace/;

/** Index of the first byte that is not JSON whitespace or a UTF-8 byte-order mark, or -1. */
export function firstContentByte(head: Uint8Array): number {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  for (; i < head.length; i++) {
    const b = head[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
  }
  return -1;
}

function startsWith(head: Uint8Array, at: number, bytes: number[]): boolean {
  if (head.length - at < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b < 0x7f;
}

/**
 * Why the bytes at `at` do not start a trace, or undefined when they do (`[` or `{`).
 * The reason reads: `not a trace: expected '[' or '{"traceEvents"' but found 'PK' (a zip file?)`.
 */
export function foreignReason(head: Uint8Array, at: number): string | undefined {
  const b = head[at];
  if (b === 0x5b || b === 0x7b) return undefined;
  const text = Buffer.from(head.subarray(at, at + 32)).toString('latin1');
  const go = GO_TRACE.exec(text);
  if (go) {
    return `not a trace: found '${go[0]}': this is a Go execution trace; open it with \`go tool trace\``;
  }
  const magic = MAGICS.find((m) => startsWith(head, at, m.bytes));
  let found: string;
  const printable = [...head.subarray(at, at + 12)].every((c) => isPrintable(c) || c === 0x0a || c === 0x09);
  if (magic) {
    const shown = [...head.subarray(at, at + magic.bytes.length)].map((c) => (isPrintable(c) ? String.fromCharCode(c) : '')).join('');
    found = `'${shown}' (${magic.what})`;
  } else if (printable) {
    const line = text.split(/[\r\n]/)[0]!.slice(0, 16);
    found = `'${line}'${hintForText(line)}`;
  } else {
    const hex = [...head.subarray(at, at + 8)].map((c) => c.toString(16).padStart(2, '0')).join(' ');
    found = `bytes ${hex} (a binary file?)`;
  }
  return `not a trace: expected '[' or '{"traceEvents"' but found ${found}`;
}

function hintForText(text: string): string {
  const c = text[0];
  if (c === '<') return ' (XML or HTML?)';
  if (c === '"' || c === '-' || (c !== undefined && c >= '0' && c <= '9') || /^(true|false|null)\b/.test(text)) {
    return ' (JSON of another shape?)';
  }
  return '';
}
