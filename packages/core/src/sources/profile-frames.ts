import { isAbsolute } from 'node:path';
import { builtin } from '../builtin.js';
import { ScriptMapCache, type ScriptMap, type ScriptSourceMaps } from './source-maps.js';
import { stackPath } from './stack.js';

/** A CPU profile node's frame, as V8's inspector gives it: the function's start, 0-based. */
export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** Samples taken while a node was on top of the stack, per line (1-based) of its script. */
export interface PositionTick {
  line: number;
  ticks: number;
}

/**
 * Why a frame of a script the runner transformed has no line: the runner kept no source map for
 * it, or the position is in code the transform added (its map has nothing for that line).
 */
export type Unmapped = 'no source map' | 'not in the source map';

/** A frame as written to the trace: in the user's file, or saying why it cannot be. */
export interface WrittenFrame extends CallFrame {
  unmapped?: Unmapped;
}

/**
 * V8 before Node 26 (measured: 20, 22, 24 count them; 26 does not) counts the samples of a
 * function inlined into another at the inlined function's own line numbers, from its own script,
 * against the caller: `performance.now()` inlined into a test's loop showed as lines 139 and 530
 * of the test. A source map tells most of them apart (no mapping on that line, or one into
 * another file); a script without one has nothing to tell them by.
 */
const INLINED_AT_OWN_LINES = Number(process.versions.node.split('.')[0]) < 26;

type Script =
  | { kind: 'own'; url: string; file: boolean }
  | { kind: 'mapped'; url: string; map: ScriptMap }
  | { kind: 'unmapped'; url: string };

/**
 * Puts one CPU profile's frames where the user's code is: V8 gives positions in the code it ran,
 * which a runner's transform (Vite's SSR transform, babel-jest) moved. A frame of a transformed
 * script gets its original file, line and column from the runner's source map, or says it has
 * none; other frames keep their positions. Files are shown as stacks show them (relative to the
 * root when under it); `node:` and other non-file URLs stay as they are. A node's positionTicks
 * (V8's samples per line while the function itself ran) are mapped to original lines too, and
 * lines that cannot be the function's dropped (see INLINED_AT_OWN_LINES): before its start, not
 * mapped, mapped into another file. Frames of scripts without a map get line ticks only on Node 26
 * and later, never those of Node's own modules.
 *
 * One instance per profile written: each script's map is asked for once, parsed once for the
 * worker's profiles (`parsed`), and only the nodes' frames are mapped, never the samples.
 */
export class ProfileFrames {
  private readonly scripts = new Map<string, Script>();

  constructor(
    private readonly maps: ScriptSourceMaps | undefined,
    private readonly parsed: ScriptMapCache,
  ) {}

  /** The frame to write for `callFrame`, and its line ticks in the same file (undefined when none). */
  map(callFrame: CallFrame, ticks: readonly PositionTick[] | undefined): { callFrame: WrittenFrame; positionTicks?: PositionTick[] } {
    if (callFrame.url === '') return { callFrame };
    const script = this.script(callFrame.url);
    if (script.kind === 'own') {
      const frame = script.url === callFrame.url ? callFrame : { ...callFrame, url: script.url };
      // nothing to check the lines against: kept only where V8 counts inlined code at its caller's
      // lines, and never for Node's own modules, which inline each other most
      const own = ticks && script.file && !INLINED_AT_OWN_LINES && ticksFrom(ticks, callFrame.lineNumber + 1, (line) => line);
      return own ? { callFrame: frame, positionTicks: own } : { callFrame: frame };
    }
    if (script.kind === 'unmapped') return { callFrame: unmapped(callFrame, script.url, 'no source map') };
    const { map } = script;
    const start = map.functionStart(callFrame.lineNumber, callFrame.columnNumber);
    if (start === undefined) return { callFrame: unmapped(callFrame, script.url, 'not in the source map') };
    const frame: WrittenFrame = { ...callFrame, url: stackPath(start.file), lineNumber: start.line, columnNumber: start.column };
    const mapped =
      ticks &&
      ticksFrom(ticks, start.line + 1, (line) => {
        const original = map.line(line - 1);
        return original !== undefined && original.file === start.file ? original.line + 1 : undefined;
      });
    return mapped ? { callFrame: frame, positionTicks: mapped } : { callFrame: frame };
  }

  private script(url: string): Script {
    let script = this.scripts.get(url);
    if (script === undefined) {
      script = this.lookUp(url);
      this.scripts.set(url, script);
    }
    return script;
  }

  private lookUp(url: string): Script {
    const file = url.startsWith('file://') ? builtin<typeof import('node:url')>('node:url').fileURLToPath(url) : isAbsolute(url) ? url : undefined;
    if (file === undefined) return { kind: 'own', url, file: false };
    let payload: ReturnType<ScriptSourceMaps['sourceMapOf']>;
    try {
      payload = this.maps?.sourceMapOf(file);
    } catch {
      // the runner could not say: its positions are all there is
      payload = undefined;
    }
    const shown = stackPath(file);
    if (payload === undefined) return { kind: 'own', url: shown, file: true };
    const map = payload === null ? undefined : this.parsed.get(file, payload);
    return map === undefined ? { kind: 'unmapped', url: shown } : { kind: 'mapped', url: shown, map };
  }
}

/** A frame of a transformed script that has no original position: its file, and why. */
function unmapped(callFrame: CallFrame, url: string, why: Unmapped): WrittenFrame {
  return { ...callFrame, url, lineNumber: -1, columnNumber: -1, unmapped: why };
}

/**
 * `ticks` at the lines `lineOf` gives (undefined: not the function's), merged per line, without
 * lines before the function's first (1-based `firstLine`); undefined when none are left.
 */
function ticksFrom(ticks: readonly PositionTick[], firstLine: number, lineOf: (line: number) => number | undefined): PositionTick[] | undefined {
  let out: PositionTick[] | undefined;
  for (const tick of ticks) {
    const line = lineOf(tick.line);
    if (line === undefined || line < firstLine || !(tick.ticks > 0)) continue;
    out ??= [];
    const same = out.find((t) => t.line === line);
    if (same) same.ticks += tick.ticks;
    else out.push({ line, ticks: tick.ticks });
  }
  return out;
}
