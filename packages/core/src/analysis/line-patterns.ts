/**
 * Regular expressions for the lines the model's line filter takes from their text, without
 * JSON.parse: each matches only an event written by the recorder, keys in its order, and captures
 * what the model needs. A line in any other form (other keys, another order, a line torn at the
 * end of a cut-short file) does not match and is parsed as usual.
 */

/** A JSON number. */
const NUM = String.raw`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`;
/** The inside of a JSON string: no raw quote, backslash or control character outside an escape. */
const STR = String.raw`[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*`;
/** An object of numbers (`elDelay`, `async`, `activeResourcesDelta`), keys without escapes. */
const NUMBERS = String.raw`\{(?:"[^"\\\x00-\x1f]*":${NUM}(?:,"[^"\\\x00-\x1f]*":${NUM})*)?\}`;
/** A test's `net`, `callbacks` and `closed` args: `{ KEY: { count, ms } }`, keys without escapes. */
const TALLY = String.raw`"[^"\\\x00-\x1f]*":\{"count":\d+,"ms":${NUM}\}`;
const TALLIES = String.raw`\{(?:${TALLY}(?:,${TALLY})*)?\}`;

/**
 * The keys after an event's phase as the recorder writes them: `s` (an instant's scope) and `id`
 * if any, then `ts`, `dur` if any and `pid`, times and pid plain decimals of at most 15 integer
 * digits: the captures ts, dur, pid.
 */
const TIMES = String.raw`"(?:s":"[^"]*",")?(?:id":(?:"(?:[^"\\]|\\.)*"|-?\d+),")?ts":(-?\d{1,15}(?:\.\d+)?),(?:"dur":(-?\d{1,15}(?:\.\d+)?),)?"pid":(-?\d{1,15})[,}]`;

/**
 * A line of a counted-only category or a GC slice (keys: name, cat, ph, then TIMES) as the
 * recorder writes it (any other is parsed, and the model checks it):
 * 1 category, 2 phase, 3 ts, 4 dur, 5 pid. Leak reports and fates (`leak: TYPE`, `leak closed: TYPE`, `leak open: TYPE`) never match.
 */
export const COUNTED_LINE = new RegExp(String.raw`^\{"name":"(?!leak[: ])(?:[^"\\]|\\.)*","cat":"(async|net|user\.region|user\.task|user\.log|console|gc)","ph":"([^"])",` + TIMES);

/**
 * Any event line with a category (keys: name, cat, ph, then TIMES), metadata excepted: what a
 * reader that needs only some events' extents takes from it (BuilderOptions.only): 1 category as
 * written, 2 ts, 3 dur, 4 pid.
 */
export const EXTENT_LINE = new RegExp(String.raw`^\{"name":"(?:[^"\\]|\\.)*","cat":"((?:[^"\\]|\\.)*)","ph":"[^"M]",` + TIMES);

/** `heap` and `eventloop` counters: 1 name, 2 ts, 3 pid and 4 (heap) `used`. */
export const COUNTER_LINE = /^\{"name":"(heap|eventloop)","ph":"C","ts":(-?\d{1,15}(?:\.\d+)?),"pid":(-?\d{1,15}),"tid":-?\d+,"args":\{(?:"used":(\d{1,15})[,}]|"utilization")/;

/**
 * A hook span, args and all (file, hook, fullName, status: no error): 1 ts, 2 dur, 3 pid, 4 tid,
 * 5 the hook's kind, 6 name, 7 file, 8 fullName, 9 status (strings as written, see jsonString).
 */
export const HOOK_LINE = new RegExp(
  String.raw`^\{"name":"(${STR})","cat":"hook","ph":"X","ts":(${NUM}),"dur":(${NUM}),"pid":(-?\d+),"tid":(-?\d+),"args":\{"file":"(${STR})","hook":"([^"\\\x00-\x1f]*)","fullName":"(${STR})","status":"([^"\\\x00-\x1f]*)"\}\}$`,
);

/**
 * A test span, args and all, without leaks, an error or `concurrent` (file, fullName, status, retry,
 * then any of id, project, heapBefore, gcMs, heapAfter, maxStallMs, elDelay, net, async, callbacks, closed,
 * activeResourcesDelta in that order): 1 name, 2 ts, 3 dur, 4 pid, 5 tid, 6 file, 7 fullName,
 * 8 status, 9 retry, 10 id, 11 project, 12 maxStallMs. Strings as written, escapes and all (see jsonString).
 */
export const TEST_LINE = new RegExp(
  String.raw`^\{"name":"(${STR})","cat":"test","ph":"X","ts":(${NUM}),"dur":(${NUM}),"pid":(-?\d+),"tid":(-?\d+),"args":\{"file":"(${STR})","fullName":"(${STR})","status":"([^"\\\x00-\x1f]*)","retry":(\d+)` +
    String.raw`(?:,"id":"(${STR})")?(?:,"project":"(${STR})")?(?:,"heapBefore":${NUM})?(?:,"gcMs":${NUM})?(?:,"heapAfter":${NUM})?(?:,"maxStallMs":(${NUM}))?` +
    String.raw`(?:,"elDelay":${NUMBERS})?(?:,"net":${TALLIES})?(?:,"async":${NUMBERS})?(?:,"callbacks":${TALLIES})?(?:,"closed":${TALLIES})?(?:,"activeResourcesDelta":${NUMBERS})?\}\}$`,
);

/**
 * A progress marker as OpenSpans writes it (a test's: span, file, fullName, retry, then any of id,
 * project; a suite hook's: span, file, hook, then fullName if it has one): 1 name, 2 ts, 3 pid,
 * 4 tid, 5 span, 6 file, 7 hook, 8 fullName, 9 retry, 10 id, 11 project. Strings as written (see
 * jsonString). A trace written by `start()` holds one per test; a run's merge keeps only those
 * of spans that never ended.
 */
export const PROGRESS_LINE = new RegExp(
  String.raw`^\{"name":"(${STR})","cat":"progress","ph":"i","s":"t","ts":(${NUM}),"pid":(-?\d+),"tid":(-?\d+),"args":\{"span":"(test|hook)","file":"(${STR})"` +
    String.raw`(?:,"hook":"([^"\\\x00-\x1f]*)")?(?:,"fullName":"(${STR})")?(?:,"retry":(\d+))?(?:,"id":"(${STR})")?(?:,"project":"(${STR})")?\}\}$`,
);

/** The value of a JSON string given as captured from a line (its inside, escapes and all). */
export function jsonString(inside: string): string {
  return inside.includes('\\') ? (JSON.parse(`"${inside}"`) as string) : inside;
}
