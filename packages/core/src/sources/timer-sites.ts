import { framePath, innermostFrame, madeByRunner, packageOf } from './frame-origin.js';
import { hasUserFrame } from './stack.js';

/** What one callback's timers have shown so far. */
export interface TimerSite {
  samples: number;
  /** A sample had a frame outside node_modules: the callback reaches the user's code. */
  user: boolean;
  /** Samples made by the runner (innermost frame in a runner's package). */
  runner: number;
  /** The package that made the first sample that was neither the user's nor the runner's. */
  library: string | undefined;
}

/**
 * What to do with a timer of a known callback:
 * - `learning`: one of its first few timers, whose stack is captured and formatted to judge the callback;
 * - `user`: a callback that reached the user's code: frames are captured raw, formatted if the timer leaks;
 * - `runner`: the runner's own (Vitest's task-update timer, jest-circus's timeouts): not tracked at all;
 * - `library`: a library's that never reached the user's code (jsdom's internal timers): tracked
 *   without a stack; a leak names the library.
 */
export type TimerVerdict = 'learning' | 'user' | 'runner' | 'library';

/**
 * Where timers come from, learned per callback. A test runner arms a timeout per test and hook
 * from the same few closures, and clears it: capturing a stack for each costs 8–13 µs here. The
 * first timers of each callback (known by its source text and delay) get a formatted stack, which
 * decides for the callback's later timers. Native callbacks (a promise's `resolve`, shared by
 * runner and user code) are never judged: site() gives undefined and each such timer is judged
 * by its own stack if it leaks.
 */
export class TimerSites {
  static readonly SAMPLES = 3;
  private readonly sites = new Map<string, TimerSite>();

  /**
   * The callback's site, made on first sight. Keyed by the callback's source text and the delay:
   * a library that wraps every callback in one function of its own (jsdom's window.setTimeout)
   * would otherwise put its internal 1 ms timers and the test's own under one key, and the first
   * decide for all.
   */
  site(resource: object): TimerSite | undefined {
    const timer = resource as { _onTimeout?: unknown; _idleTimeout?: unknown };
    const callback = timer._onTimeout;
    if (typeof callback !== 'function') return undefined;
    const text = Function.prototype.toString.call(callback);
    if (text.endsWith('[native code] }')) return undefined;
    const key = `${String(timer._idleTimeout)}\0${text}`;
    let site = this.sites.get(key);
    if (site === undefined) this.sites.set(key, (site = { samples: 0, user: false, runner: 0, library: undefined }));
    return site;
  }

  static verdict(site: TimerSite | undefined): TimerVerdict {
    if (site === undefined || site.user) return 'user';
    if (site.samples < TimerSites.SAMPLES) return 'learning';
    return site.runner === site.samples ? 'runner' : 'library';
  }

  /** Records one formatted stack of the site's timer. */
  static learn(site: TimerSite, stack: string): void {
    site.samples++;
    if (hasUserFrame(stack)) site.user = true;
    else if (madeByRunner(stack)) site.runner++;
    else site.library ??= libraryOf(stack);
  }
}

/** The package of a stack's innermost frame, when it lies in one. */
export function libraryOf(stack: string): string | undefined {
  const first = innermostFrame(stack);
  const path = first === undefined ? undefined : framePath(first);
  return path === undefined ? undefined : packageOf(path);
}
