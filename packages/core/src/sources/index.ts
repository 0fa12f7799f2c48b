import type { ResolvedOptions } from '../options.js';
import type { Source } from './source.js';
import { GcSource } from './gc.js';
import { HeapSource, EventLoopUtilizationSource } from './counters.js';
import { StallSource } from './stalls.js';
import { NetworkSource } from './network.js';
import { CpuSource } from './cpu.js';
import { AsyncResourceSource } from './async-resources.js';

/**
 * The sources switched on by `options`, in the order they start. The async-resource hook starts
 * last so that the other sources' own timers are not taken for the user's resources.
 */
export function createSources(options: ResolvedOptions): Source[] {
  const on = options.sources;
  const sources: Source[] = [];
  if (on.gc) sources.push(new GcSource());
  if (on.heap) sources.push(new HeapSource());
  if (on.eventloop) sources.push(new EventLoopUtilizationSource());
  if (on.stalls) sources.push(new StallSource());
  if (on.network) sources.push(new NetworkSource());
  if (on.cpu) sources.push(new CpuSource());
  if (on.async) sources.push(new AsyncResourceSource());
  return sources;
}
