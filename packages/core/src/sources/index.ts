import type { ResolvedOptions } from '../options.js';
import type { Source } from './source.js';

/** The sources switched on by `options`, in the order they start. */
export function createSources(options: ResolvedOptions): Source[] {
  const sources: Source[] = [];
  void options;
  return sources;
}
