import { dirname, isAbsolute, resolve } from 'node:path';
import type { SourceMap, SourceMapPayload, SourceMapping } from 'node:module';
import { builtin } from '../builtin.js';

/**
 * The source maps of the scripts a test runner transformed before V8 ran them (Vite's SSR
 * transform, babel-jest, ts-jest): V8 only knows the transformed code's positions. An adapter
 * hands its runner's to the tracer (Tracer.setSourceMaps); CPU profiles are written with the
 * positions of the user's own files.
 */
export interface ScriptSourceMaps {
  /**
   * The source map of the script V8 ran from `file` (an absolute path): the map, as an object or
   * its JSON text, when the runner transformed the script with one; `null` when it transformed it
   * without one (V8's positions are in code the user never saw); `undefined` when it did not
   * transform it (the positions are the file's own). Asked once per script and profile, when a
   * CPU profile is written, never on the recording path.
   */
  sourceMapOf(file: string): SourceMapPayload | string | null | undefined;
}

/** A position in an original file; line and column 0-based, as V8's. */
export interface OriginalPosition {
  file: string;
  line: number;
  column: number;
}

/** Lines a transform may add above a module's first line of the user's code. */
const MODULE_PREAMBLE_LINES = 10;

type NodeSourceMap = new (payload: SourceMapPayload) => SourceMap;

let NodeSourceMapClass: NodeSourceMap | undefined;

/**
 * One transformed script's source map, read with Node's own reader (`node:module`'s SourceMap:
 * no dependency, already loaded). Lookups stay on the line asked for: a position the map has no
 * mapping for on its line is code the transform added, not the line above it.
 */
export class ScriptMap {
  private readonly sourcePaths = new Map<string, string>();

  private constructor(
    private readonly map: SourceMap,
    /** Where relative `sources` are resolved from: the script's directory and the map's sourceRoot. */
    private readonly sourceDir: string,
  ) {}

  /** The map of the script at `file`, or undefined when `payload` is not a source map. */
  static parse(file: string, payload: SourceMapPayload | string): ScriptMap | undefined {
    try {
      const parsed = (typeof payload === 'string' ? JSON.parse(payload) : payload) as SourceMapPayload;
      if (parsed === null || typeof parsed !== 'object' || typeof parsed.mappings !== 'string' || !Array.isArray(parsed.sources)) return undefined;
      NodeSourceMapClass ??= builtin<typeof import('node:module')>('node:module').SourceMap;
      const root = typeof parsed.sourceRoot === 'string' ? parsed.sourceRoot : '';
      return new ScriptMap(new NodeSourceMapClass(parsed), resolve(dirname(file), root));
    } catch {
      return undefined;
    }
  }

  /**
   * Where a function that starts at (line, column) of the transformed code starts in its
   * original file: the mapping at or before it on its line, else the line's last mapping (V8
   * places a function's start before the token a transform maps); for a function on the first
   * line, the first mapped line below it.
   */
  functionStart(line: number, column: number): OriginalPosition | undefined {
    const start = this.onLine(line, Math.max(0, column)) ?? this.onLine(line, Infinity);
    if (start !== undefined || line !== 0) return start;
    // the module's own function (Jest's compiled module, Vite's module wrapper) starts before the
    // lines a transform adds at the top (babel's "use strict"): it starts at the first mapped line
    for (let next = 1; next <= MODULE_PREAMBLE_LINES; next++) {
      const first = this.onLine(next, 0) ?? this.onLine(next, Infinity);
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /** The original position of a whole line of the transformed code: its last mapping. */
  line(line: number): OriginalPosition | undefined {
    return this.onLine(line, Infinity);
  }

  private onLine(line: number, column: number): OriginalPosition | undefined {
    const entry = this.map.findEntry(line, column) as Partial<SourceMapping>;
    if (entry.generatedLine !== line || typeof entry.originalSource !== 'string') return undefined;
    return { file: this.sourcePath(entry.originalSource), line: entry.originalLine!, column: entry.originalColumn! };
  }

  private sourcePath(source: string): string {
    let path = this.sourcePaths.get(source);
    if (path === undefined) {
      if (source.startsWith('file://')) path = builtin<typeof import('node:url')>('node:url').fileURLToPath(source);
      else path = isAbsolute(source) ? source : resolve(this.sourceDir, source);
      this.sourcePaths.set(source, path);
    }
    return path;
  }
}

/** Parsed maps a worker keeps between its profiles, the oldest dropped first. */
const CACHED_MAPS = 128;

/**
 * The parsed maps of a worker's profiles, by script: Jest writes a profile per test file, and its
 * test files share modules whose maps Jest hands over again (the same text) for each. A map is
 * parsed again when the runner's differs (the module was transformed again, or changed).
 */
export class ScriptMapCache {
  private readonly maps = new Map<string, { payload: SourceMapPayload | string; map: ScriptMap | undefined }>();

  /** The map of the script at `file`, or undefined when `payload` is not a source map. */
  get(file: string, payload: SourceMapPayload | string): ScriptMap | undefined {
    const cached = this.maps.get(file);
    if (cached !== undefined && cached.payload === payload) return cached.map;
    const map = ScriptMap.parse(file, payload);
    this.maps.delete(file);
    this.maps.set(file, { payload, map });
    if (this.maps.size > CACHED_MAPS) this.maps.delete(this.maps.keys().next().value!);
    return map;
  }
}
