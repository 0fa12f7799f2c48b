/**
 * Bad trace input, made from a real trace: fast-check arbitraries for the ways a trace file goes
 * wrong (cut at any byte, flipped bytes, lines reordered, duplicated or missing, fields with huge,
 * negative, non-finite or wrongly typed values, unicode names, deep nesting, gzip and the object
 * form). A mutation is plain data, so fast-check prints and shrinks it; `applyMutations` turns
 * it into the bytes of a file.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';

/** Text markers JSON cannot hold as values, swapped for raw JSON text after serialising. */
const RAW: Record<string, string> = {
  '@@INF@@': '1e999', // JSON.parse reads it as Infinity
  '@@NINF@@': '-1e999',
  '@@DEEP_ARRAY@@': `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  '@@DEEP_OBJECT@@': `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  '@@LONG@@': JSON.stringify('x'.repeat(200_000)),
};

const UNICODE = ['💥 test', 'ÄÖÜ ß', 'שלום', '\u202etxt.exe', '\u0000nul', 'a\nb', '\ud800 lone', '\u2028\u2029', ' > ', '', '__proto__', 'constructor', 'toString'];

/** A value a field should never hold, or one at the edge of what it may hold. */
export const evilValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(
    1e308, -1e308, Number.MAX_SAFE_INTEGER * 1024, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, -1, -1e15, 0, -0, 1e-300, 4294967296, 1.5,
    '@@INF@@', '@@NINF@@', 'NaN', 'Infinity', '-Infinity', '1e999', '12', '-5', '0x10',
    '@@DEEP_ARRAY@@', '@@DEEP_OBJECT@@', '@@LONG@@',
    null, true, false, [], {}, [1, 2], { __proto__: null, length: -1 }, { toString: 1 },
  ) },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Mostly a value the field can hold (so the event reaches the analyses), sometimes an evil one. */
const either = <T>(usual: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: usual }, { weight: 1, arbitrary: evilValue });

/** The fields of an event worth breaking: the envelope and the args the analyses read. */
const FIELDS = ['name', 'ph', 'cat', 'ts', 'dur', 'pid', 'tid', 'id', 'args', 's'] as const;
const ARGS = [
  'file', 'fullName', 'status', 'retry', 'id', 'project', 'leaks', 'closedByHooks', 'maxStallMs', 'hook', 'error', 'heapBefore', 'heapAfter',
  'elDelay', 'async', 'concurrent', 'lateMs', 'thresholdMs', 'part', 'test', 'type', 'stack', 'label', 'used', 'total', 'module', 'selfMs',
  'kind', 'transformMs', 'reason', 'workerPid', 'wallClockMs', 'ts', 'endTs', 'runner', 'notes', 'sources', 'events', 'name', 'sort_index',
  'data', 'cpuProfile', 'nodes', 'samples', 'timeDeltas', 'startTime', 'endTime', 'at', 'seen', 'message', 'source', 'shard', 'workers',
] as const;
const CATEGORIES = ['file', 'suite', 'test', 'hook', 'phase', 'module', 'gc', 'stall', 'async', 'net', 'user.task', 'user.region', 'user.log', 'console', 'tracer', 'crash', 'exit', 'disabled-by-default-v8.cpu_profiler'];
const PHASES = ['X', 'B', 'E', 'i', 'I', 'C', 'M', 'b', 'e', 'n', 'P', 'Z', ''];

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'drop'; line: number; count: number }
  | { kind: 'duplicate'; line: number; to: number }
  | { kind: 'move'; line: number; to: number }
  | { kind: 'shuffle'; line: number; count: number; seed: number }
  | { kind: 'field'; line: number; field: string; value: unknown }
  | { kind: 'arg'; line: number; arg: string; value: unknown }
  | { kind: 'recategorise'; line: number; cat: string; ph: string }
  | { kind: 'inject'; line: number; event: Record<string, unknown> };

export interface Mutated {
  mutations: Mutation[];
  gzip: boolean;
  objectForm: boolean;
}

/** Positions are fractions of the seed's length (0–1), so one arbitrary fits every seed. */
const where = fc.integer({ min: 0, max: 2 ** 20 - 1 }).map((n) => n / 2 ** 20); // fc.double clusters at its ends

const injected: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    name: either(fc.constantFrom(...UNICODE, 'leak: Timeout', 'leak closed: Timeout', 'leak open: TCPWRAP', 'testtrace_run', 'testtrace_worker', 'testtrace_end', 'process_name', 'heap', 'queued', 'import', 'beforeEach', 'Profile', 'ProfileChunk')),
    ph: either(fc.constantFrom(...PHASES)),
    cat: either(fc.constantFrom(...CATEGORIES)),
    ts: either(fc.double({ min: 0, max: 1e12, noNaN: true })),
    dur: either(fc.double({ min: 0, max: 1e7, noNaN: true })),
    pid: either(fc.integer({ min: 0, max: 5 })),
    tid: either(fc.integer({ min: 0, max: 905 })),
    id: either(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0x1', 'a'))),
    args: either(fc.dictionary(fc.constantFrom(...ARGS), evilValue, { maxKeys: 6 })),
  },
  { requiredKeys: ['ph', 'name', 'cat', 'ts'] },
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: where }),
  fc.record({ kind: fc.constant('flip' as const), at: where, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('drop' as const), line: where, count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), line: where, to: where }),
  fc.record({ kind: fc.constant('move' as const), line: where, to: where }),
  fc.record({ kind: fc.constant('shuffle' as const), line: where, count: fc.integer({ min: 2, max: 40 }), seed: fc.integer() }),
  fc.record({ kind: fc.constant('field' as const), line: where, field: fc.constantFrom(...FIELDS), value: evilValue }),
  fc.record({ kind: fc.constant('arg' as const), line: where, arg: fc.constantFrom(...ARGS), value: evilValue }),
  fc.record({ kind: fc.constant('recategorise' as const), line: where, cat: fc.constantFrom(...CATEGORIES), ph: fc.constantFrom(...PHASES) }),
  fc.record({ kind: fc.constant('inject' as const), line: where, event: injected }),
);

/** One to six mutations; one file in eight gzip-compressed, one in eight in the object form. */
export const mutated: fc.Arbitrary<Mutated> = fc
  .record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }), container: fc.integer({ min: 0, max: 7 }) })
  .map(({ mutations, container }) => ({ mutations, gzip: container === 0, objectForm: container === 1 }));

/** JSON text of a value, with the RAW markers put back as raw text. */
export function serialise(value: unknown): string {
  let text = JSON.stringify(value) ?? 'null';
  for (const [marker, raw] of Object.entries(RAW)) text = text.split(JSON.stringify(marker)).join(raw);
  return text;
}

/** A small deterministic shuffle (mulberry32), so a shrunk case replays the same order. */
function shuffled<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** An event line's kind, from its text: category, phase and, for leak reports and metadata, the name. */
function kindOf(line: string): string {
  const name = /"name":"((?:leak[^:]*|testtrace_[a-z]+|process_name|thread_name))[:"]/.exec(line)?.[1] ?? '';
  return `${/"cat":"([^"]*)"/.exec(line)?.[1] ?? ''}/${/"ph":"([^"]*)"/.exec(line)?.[1] ?? ''}/${name}`;
}

/** The seed's event lines, without their separating commas; the first and last lines (`[`, `]`) apart. */
function eventLines(text: string): { lines: string[]; closed: boolean } {
  const all = text.split('\n').filter((l) => l.trim() !== '');
  const closed = all[all.length - 1]?.trim() === ']';
  const lines = all.slice(1, closed ? -1 : undefined).map((l) => l.replace(/,\s*$/, ''));
  return { lines, closed };
}

function editLine(line: string, edit: (event: Record<string, unknown>) => void): string {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return line; // a line an earlier mutation already broke
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) return line;
  edit(event as Record<string, unknown>);
  try {
    return serialise(event);
  } catch {
    return line; // nested deeper than JSON.stringify goes (an earlier mutation's deep value)
  }
}

/** Applies the line-level mutations to the seed's lines (in order), then the byte-level ones to the file. */
export function applyMutations(seed: string, m: Mutated): Buffer {
  const { lines, closed } = eventLines(seed);
  const at = (f: number, n = lines.length) => Math.min(n - 1, Math.floor(f * n));
  /** A line to edit: a kind of event first (all kinds alike, so rare ones are hit as often as counters), then one of its lines. */
  const pick = (f: number) => {
    const kinds = new Map<string, number[]>();
    lines.forEach((line, i) => {
      const kind = kindOf(line);
      (kinds.get(kind) ?? kinds.set(kind, []).get(kind)!).push(i);
    });
    const groups = [...kinds.values()];
    const scaled = f * groups.length;
    const group = groups[Math.floor(scaled)]!;
    return group[Math.min(group.length - 1, Math.floor((scaled % 1) * group.length))]!;
  };
  const edit = (f: number, change: (event: Record<string, unknown>) => void) => {
    const i = pick(f);
    lines[i] = editLine(lines[i]!, change);
  };
  const bytewise: Mutation[] = [];
  for (const mu of m.mutations) {
    if (lines.length === 0) break;
    switch (mu.kind) {
      case 'truncate':
      case 'flip':
        bytewise.push(mu);
        break;
      case 'drop':
        lines.splice(at(mu.line), mu.count);
        break;
      case 'duplicate':
        lines.splice(at(mu.to, lines.length + 1), 0, lines[pick(mu.line)]!);
        break;
      case 'move': {
        const [line] = lines.splice(pick(mu.line), 1);
        lines.splice(at(mu.to, lines.length + 1), 0, line!);
        break;
      }
      case 'shuffle': {
        const from = at(mu.line);
        lines.splice(from, mu.count, ...shuffled(lines.slice(from, from + mu.count), mu.seed));
        break;
      }
      case 'field':
        edit(mu.line, (e) => void (e[mu.field] = mu.value));
        break;
      case 'arg':
        edit(mu.line, (e) => {
          const args = e.args && typeof e.args === 'object' && !Array.isArray(e.args) ? (e.args as Record<string, unknown>) : (e.args = {});
          Object.defineProperty(args, mu.arg, { value: mu.value, enumerable: true, writable: true, configurable: true });
        });
        break;
      case 'recategorise':
        edit(mu.line, (e) => {
          e.cat = mu.cat;
          e.ph = mu.ph;
        });
        break;
      case 'inject':
        lines.splice(at(mu.line, lines.length + 1), 0, serialise(mu.event));
        break;
    }
  }
  const body = lines.join(',\n');
  const text = m.objectForm ? `{"traceEvents":[\n${body}\n]${closed ? '}' : ''}` : `[\n${body}${closed ? '\n]' : ',\n'}\n`;
  let bytes = Buffer.from(text);
  for (const mu of bytewise) {
    if (bytes.length === 0) break;
    if (mu.kind === 'truncate') bytes = bytes.subarray(0, Math.floor(mu.at * bytes.length));
    else if (mu.kind === 'flip') bytes[Math.floor(mu.at * bytes.length)] = mu.byte;
  }
  return m.gzip ? zlib.gzipSync(bytes) : Buffer.from(bytes);
}

/**
 * A real trace cut down to a seed that reads fast: at most `perKind` events of each category and
 * phase, in file order (a full-detail trace is mostly thousands of async callbacks), the file's
 * first and last lines as they were.
 */
export function thinSeed(text: string, perKind = 40): string {
  const { lines, closed } = eventLines(text);
  const seen = new Map<string, number>();
  const kept = lines.filter((line) => {
    const kind = kindOf(line);
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    return n <= perKind || /"ph":"M"/.test(line);
  });
  return `[\n${kept.join(',\n')}${closed ? '\n]' : ',\n'}\n`;
}
