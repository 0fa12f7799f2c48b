import { createHook, executionAsyncResource, triggerAsyncId, type AsyncHook, type HookCallbacks } from 'node:async_hooks';
import { types as utilTypes } from 'node:util';
import { promiseHooks } from 'node:v8';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { nodeTimers } from '../builtin.js';
import { nowUs } from '../clock.js';
import { Track, type LeakRecord } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';
import { CAPTURE_LIMIT, captureFrames, captureStack, formatFrames, hasUserFrame, setStackRoot } from './stack.js';
import { isAcceptedSocket, isAlive, isClosing, isLeakableType, isServerType, isStdioPipe, ownerOf, stillOpenOnceClosing, type LeakableType } from './liveness.js';
import { FetchPoolTracker, poolSocketLabel, poolSocketLeaks, type PoolSocket } from './fetch-pool.js';
import { CreationWindows } from './creation-windows.js';
import { madeByRunner } from './frame-origin.js';
import { LeakWatch } from './leak-watch.js';
import { TimerSites } from './timer-sites.js';
import { HandleCloses } from './handle-closes.js';
import { addTo, tallyArg, type Tally } from './tally.js';
import { roundMs } from './util.js';

/** A leakable resource seen by `init`, kept until its test ends. */
interface ResourceRecord {
  id: number;
  type: LeakableType;
  resource: object;
  stack: string;
  /** Unformatted frames, formatted into `stack` only if the resource outlives its test (default detail). */
  frames: object | undefined;
  test: string | undefined;
  file: string | undefined;
  /** Set when undici's pool (fetch) opened this socket. */
  pool: PoolSocket | undefined;
  /** The package that made it, for a library's timer tracked without a stack (default detail). */
  library: string | undefined;
  /** Alive when its test's own function ended (testBodyEnd): a close after that is its hooks'. */
  openAtBody: boolean;
  bodyLabel: string | undefined;
  /** When init saw it (trace µs). */
  created: number;
  /** When its native handle was closed (HandleCloses), if seen. */
  closedAt: number | undefined;
  /** When it was found closing by its owner's request at its test's end (isClosing), if it was. */
  closingSince?: number;
  /**
   * Its `created: TYPE` instant waits for its test's end (default detail): written only if the
   * resource outlives the test, else counted in the test's `closed` arg.
   */
  deferred: boolean;
}


/**
 * Full detail writes a callback as a slice when it ran this long; shorter ones (most promise
 * reactions: 1–10 µs) are counted on the running test (`callbacks`), and dropped outside tests.
 * A slice each was 86 a test in a suite of one-line tests, 11 KB of its 14.5 KB.
 */
const CALLBACK_SLICE_US = 20;

/**
 * Frames captured for a timer in default detail. V8's capture cost grows with the frame count
 * (8–13 µs for 10–20 frames here) and ten of them are Node's and ours (init hook, Timeout, setTimeout):
 * 13 leaves the caller of setTimeout and two above it.
 */
const TIMER_CAPTURE_LIMIT = 13;
/**
 * The few timers of each callback that decide whether it is the runner's are captured deeper: a
 * library that wraps every callback in one function (jsdom's window.setTimeout) is called from
 * code a dozen frames up (user-event → focus() → Selection), and with 13 frames its first timers
 * showed no user frame, so every later jsdom timer, the test's own too, lost its stack.
 */
const LEARNING_CAPTURE_LIMIT = 40;

/** A test that starts within this many trace microseconds of the last test's end takes that end's active resources as its start's. */
const FRESH_ACTIVE_US = 1000;

/** Per-test records beyond this are checked and the dead ones dropped; memory stays bounded. */
const MAX_RECORDS = 4096;
/** Resources found closing at their tests' ends, kept for the check when tracing stops; those beyond are only counted. */
const MAX_CLOSING = 1024;

/**
 * `server.listen(port, host)` creates the server's handle in a later tick (after a DNS lookup or
 * a nextTick), where the stack holds no user frame. This channel is published synchronously
 * inside `listen()`: its stack stands in for the handle's.
 */
const LISTEN_CHANNEL = 'tracing:net.server.listen:asyncStart';

/**
 * `createHook({ trackPromises: false })` (Node ≥ 24.21) switches V8's promise hooks off. Older
 * versions ignore the option, so detect it by a combination it rejects: promiseResolve with
 * trackPromises false.
 */
export function supportsTrackPromises(): boolean {
  try {
    createHook({ promiseResolve() {}, trackPromises: false } as HookCallbacks);
    return false;
  } catch {
    return true;
  }
}

/**
 * Async resources: the JavaScript goroutines. Default detail counts the resources each test
 * creates and keeps the leakable ones (timers, sockets, servers, watchers, child processes,
 * workers, file handles) with a short stack, then asks each at the test's end whether it is
 * still alive: no `destroy` hook. Full detail adds every callback's run time as a slice.
 *
 * Where `createHook` cannot skip promises (Node before 24.21), default detail never leaves the
 * `init` hook on during a test: CreationWindows reports timers as they are made and enables the
 * hook only inside the calls that make handles.
 */
export class AsyncResourceSource implements Source {
  readonly name = 'async' as const;
  private recorder!: Recorder;
  private hook: AsyncHook | undefined;
  private windows: CreationWindows | undefined;
  private full = false;
  /** One-shot timers found due within DUE_SOON_MS at the last test end: settling, not leaked. */
  private dueSoon = 0;
  /** Default detail on Node 24.21+: the hook (skipping promises) is on while a test runs. */
  private hookPerTest = false;

  private test: TestSpan | undefined;
  private promises = 0;
  private readonly counts = new Map<string, number>();
  private testRecords: ResourceRecord[] = [];
  /** The running test's handles closed so far, of the records dropped to stay within MAX_RECORDS. */
  private closed: Tally = new Map();
  private outsideRecords: ResourceRecord[] = [];
  private readonly serverIds = new Set<number>();
  private readonly listenStacks = new WeakMap<object, string | object>();
  private readonly onListen = (message: { server?: object }) => {
    try {
      // formatted only if the server leaks (serverStack)
      if (message.server !== undefined) this.listenStacks.set(message.server, captureFrames(CAPTURE_LIMIT));
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  };
  private activeBefore: string[] = [];
  /** What getActiveResourcesInfo() said at the last test's end, and when: a test starting right after takes it as its own start. */
  private activeAtEnd: string[] = [];
  private activeAtEndUs = -Infinity;
  private readonly pool = new FetchPoolTracker(
    () => this.test?.fullName,
    (err) => this.recorder.error(this.name, err),
  );

  private readonly timerSites = new TimerSites();
  private readonly closes = new HandleCloses();
  /** The leaks of ended tests, until they close or tracing ends. */
  private watch!: LeakWatch;
  /**
   * Resources their owner had asked to close by their test's end (isClosing: an ended socket, a
   * signalled child process): counted as closed, their stacks left unformatted, and reported as
   * leaks only if still open for good when tracing stops (stillOpenOnceClosing).
   */
  private closing: ResourceRecord[] = [];

  // full detail: the callback running now (before/after nest), and the type of each resource
  // other than a promise, by the resource itself: a callback's resource is executionAsyncResource()
  // and its trigger triggerAsyncId(), so promises need no table and no `destroy` hook (which would
  // make V8 track every promise for GC: ~420 ns an await)
  private readonly openIds: number[] = [];
  private readonly openStarts: number[] = [];
  private readonly types = new WeakMap<object, string>();
  /** The running test's callbacks shorter than CALLBACK_SLICE_US: count and time per type. */
  private callbacks: Tally = new Map();
  /**
   * Full detail on Node 24.21+: promises are timed through V8's own promise hooks (`v8.promiseHooks`)
   * and `async_hooks` sees every other resource (`trackPromises: false`). Node's `async_hooks` gives
   * each promise an async id and runs its own bookkeeping around every reaction, which cost ~2.5
   * times what V8's hooks cost (an `await` of an async function on Node 26: 1 100–1 600 ns against
   * 420–770, 300–450 with no hook). Stops V8's hooks.
   */
  private stopPromiseHooks: (() => void) | undefined;
  private readonly promiseStarts: number[] = [];

  start(ctx: SourceContext): void {
    loopClockOffsetMs ??= measureLoopClockOffset();
    this.recorder = ctx.recorder;
    this.watch = new LeakWatch(ctx.recorder, (err) => this.recorder.error(this.name, err));
    this.full = ctx.options.detail === 'full';
    setStackRoot(ctx.options.rootDir);
    // Default detail: a promise that reaches the hook (Node before 24.21, inside a creation window)
    // is one compare. bench/core-await.mjs: such a hook costs what an empty init hook costs.
    const callbacks: HookCallbacks = {
      init: this.full
        ? (id, type, trigger, resource) => this.init(id, type, trigger, resource)
        : (id, type, trigger, resource) => {
            if (type !== 'PROMISE') this.initResource(id, type, trigger, resource);
          },
    };
    const skipsPromises = supportsTrackPromises();
    if (this.full) {
      callbacks.before = (id) => this.before(id);
      callbacks.after = (id) => this.after(id);
    }
    if (skipsPromises) (callbacks as HookCallbacks & { trackPromises: boolean }).trackPromises = false;
    this.pool.start();
    // In default detail the hook is enabled only while a test runs (Node 24.21+) or only inside
    // the calls that create handles (before, where an enabled init hook taxes every promise of the
    // process). Full detail records everything.
    const hook = createHook(callbacks);
    this.hook = hook;
    this.hookPerTest = !this.full && skipsPromises;
    if (this.full) {
      hook.enable();
      if (skipsPromises) this.stopPromiseHooks = this.hookPromises();
    } else if (!skipsPromises) {
      const source = this;
      this.windows = new CreationWindows({
        get tracking() {
          return source.test !== undefined;
        },
        enable: () => hook.enable(),
        disable: () => hook.disable(),
        init: (id, type, trigger, resource) => this.initResource(id, type, trigger, resource),
      });
      this.windows.install();
    }
    subscribe(LISTEN_CHANNEL, this.onListen as (message: unknown) => void);
  }

  testStart(test: TestSpan): void {
    if (test.lane !== 0) return;
    if (this.watch.size > 0) this.watch.check(test.start);
    if (this.hookPerTest) this.hook?.enable();
    this.windows?.refresh();
    this.test = test;
    this.promises = 0;
    this.counts.clear();
    this.testRecords = [];
    this.closed = new Map();
    this.callbacks = new Map();
    // back to back with the previous test (Jest and Vitest run nothing in between): its end's list,
    // one native call fewer per test (~7 µs in a test worker, whose caches are cold by then)
    this.activeBefore = test.start - this.activeAtEndUs < FRESH_ACTIVE_US ? this.activeAtEnd : process.getActiveResourcesInfo();
  }

  testEnd(test: TestSpan): void {
    if (test !== this.test) return;
    if (this.hookPerTest) this.hook?.disable();
    this.test = undefined;
    const records = this.testRecords;
    this.testRecords = [];
    // default detail never counts promises: on Node 24.21+ the hook skips them, before that it is
    // only on inside the calls that make handles (CreationWindows); a test that made nothing the
    // source counts has no `async` arg (most one-line tests: 11 bytes of a ~360-byte span)
    if (this.full || this.counts.size > 0) {
      const counts: Record<string, number> = {};
      if (this.full) counts.PROMISE = this.promises;
      for (const [type, n] of this.counts) counts[type] = n;
      test.args.async = counts;
    }
    if (this.callbacks.size > 0) test.args.callbacks = tallyArg(this.callbacks);
    this.callbacks = new Map();
    const now = nowUs();
    const closed = this.closed;
    this.closed = new Map();
    // what earlier tests left open and closed during this one: by its end (as the span says)
    if (this.watch.size > 0) this.watch.check(test.endTs ?? now);
    this.dueSoon = 0;
    const closedByHooks: LeakRecord[] = [];
    const leaks = this.findLeaks(records, now, false, closedByHooks, closed);
    if (closed.size > 0) test.args.closed = tallyArg(closed);
    if (leaks.length > 0) test.args.leaks = leaks;
    if (closedByHooks.length > 0) test.args.closedByHooks = closedByHooks;
    if (this.dueSoon > 0) test.args.timersDueSoon = this.dueSoon;
    const active = process.getActiveResourcesInfo();
    this.activeAtEnd = active;
    this.activeAtEndUs = now;
    const delta = resourceDelta(this.activeBefore, active);
    if (delta !== undefined) test.args.activeResourcesDelta = delta;
  }

  /**
   * The running test's own function has ended; its afterEach hooks (and Vitest's cleanups) follow.
   * A resource alive now and closed by the test's end was closed by its own hooks: not a leak.
   */
  testBodyEnd(test: TestSpan): void {
    if (test !== this.test) return;
    for (const r of this.testRecords) {
      r.openAtBody = isAlive(r.type, r.resource);
      if (r.openAtBody) r.bodyLabel = describeHandle(r.type, r.resource);
    }
  }

  /** A hook starts or ends: what earlier tests left open may have closed since the last check. */
  hookBoundary(ts: number): void {
    if (this.watch.size > 0) this.watch.check(ts);
  }

  /** A test file ended: the leaks of its tests still open are written as open at its end. */
  fileEnd(ts: number): void {
    this.watch.fileEnd(ts);
    // those still open stay until tracing stops, where those open for good are leaks
    if (this.closing.length > 0) this.closing = this.closing.filter((r) => isAlive(r.type, r.resource));
  }

  stop(): void {
    if (this.hook === undefined) return;
    this.hook.disable();
    this.hook = undefined;
    this.stopPromiseHooks?.();
    this.stopPromiseHooks = undefined;
    this.windows?.uninstall();
    this.windows = undefined;
    unsubscribe(LISTEN_CHANNEL, this.onListen as (message: unknown) => void);
    this.pool.stop();
    this.closes.uninstall();
    const now = nowUs();
    const openForGood = this.closing.filter((r) => stillOpenOnceClosing(r.type, r.resource, now - r.closingSince!));
    const records = this.outsideRecords.concat(this.testRecords, openForGood);
    this.outsideRecords = [];
    this.testRecords = [];
    this.closing = [];
    this.watch.end(now);
    // what no test's end reported (made outside tests, or by a test that never ended) is open now too
    for (const leak of this.findLeaks(records, now, true)) this.watch.open(leak.type, leak.id, leak.test, leak.file, 'exit', now);
  }

  /** Another realm's globals (a Jest test environment) get the wrapped timers too. */
  adoptGlobal(target: object): void {
    this.windows?.adoptGlobal(target);
  }

  releaseGlobal(target: object): void {
    this.windows?.releaseGlobal(target);
  }

  private init(id: number, type: string, trigger: number, resource: object): void {
    if (type === 'PROMISE') {
      this.promises++;
      return;
    }
    this.initResource(id, type, trigger, resource);
  }

  private initResource(id: number, type: string, trigger: number, resource: object): void {
    try {
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      if (this.full) this.types.set(resource, type);
      if (isServerType(type)) this.serverIds.add(id);
      if (isLeakableType(type)) {
        // a connection a server accepted belongs to the server, which is tracked itself
        if ((type === 'TCPWRAP' || type === 'PIPEWRAP') && this.serverIds.has(trigger)) return;
        this.track(id, type, resource);
      }
      // the others (TickObject, Immediate, FSREQCALLBACK, HTTP parsers …) are counted, and in full
      // detail their callbacks timed, but not written: a stack for each of the thousands a test
      // makes was most of what full detail cost on stream-heavy suites
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }

  private track(id: number, type: LeakableType, resource: object): void {
    // undici connects off the user's stack: a pool socket takes the stack of the fetch that opened it
    const pool = type === 'TCPWRAP' || type === 'PIPEWRAP' ? this.pool.claim(resource) : undefined;
    // Runners arm a timer per test and hook, and almost all are cleared: in default detail a
    // timer's frames are captured raw (a fraction of the cost) and formatted only if it leaks.
    // The raw frames keep their functions alive until the test ends and its records are dropped.
    let frames: object | undefined;
    let stack = '';
    let library: string | undefined;
    if (type === 'Timeout') {
      const site = this.timerSites.site(resource);
      const verdict = TimerSites.verdict(site);
      // the runner's own timers (Vitest's task updates, jest-circus's timeouts) are never a
      // test's: counted, never written, in either detail (each cost a formatted stack)
      if (verdict === 'runner') return;
      if (verdict === 'learning') {
        stack = captureStack(LEARNING_CAPTURE_LIMIT);
        TimerSites.learn(site!, stack);
        if (madeByRunner(stack)) return;
      } else if (this.full) stack = captureStack();
      else if (verdict === 'library') library = site!.library;
      else frames = captureFrames(TIMER_CAPTURE_LIMIT);
    } else if (pool !== undefined) {
      stack = pool.opener?.stack ?? '';
    } else if (!this.full && this.test !== undefined) {
      // default detail writes a handle only if it outlives its test: its frames are formatted then
      // (through the runner's source maps, ~100 µs in a Vitest worker), most never
      frames = captureFrames(CAPTURE_LIMIT);
    } else {
      stack = captureStack();
    }
    const test = this.test?.fullName ?? pool?.opener?.test;
    const created = nowUs();
    // Timers are the bulk of all resources (runners arm one per test and hook): in default detail
    // they are kept for the leak check but not written, which keeps traces small and cheap. The
    // other handles a test makes are written only if they outlive it (a child process's pipes,
    // a request's socket: most close within the test; see testEnd's `closed`).
    const deferred = !this.full && this.test !== undefined;
    if ((this.full || type !== 'Timeout') && !deferred) {
      const label = pool === undefined ? undefined : poolSocketLabel(pool, false);
      this.recorder.resourceInstant(`created: ${type}`, Track.async, created, type, id, undefined, stack, label, test);
    }
    if (madeByRunner(stack)) return;
    const file = this.test?.args.file as string | undefined;
    const record: ResourceRecord = {
      id,
      type,
      resource,
      stack,
      frames,
      test,
      file,
      pool,
      library,
      openAtBody: false,
      bodyLabel: undefined,
      created,
      closedAt: undefined,
      deferred: deferred && type !== 'Timeout',
    };
    if (record.deferred) this.closes.watch(resource, record);
    if (this.test !== undefined) {
      if (this.testRecords.length >= MAX_RECORDS) this.testRecords = this.keepAlive(this.testRecords, created);
      if (this.testRecords.length < MAX_RECORDS) this.testRecords.push(record);
    } else {
      if (this.outsideRecords.length >= MAX_RECORDS) this.outsideRecords = this.outsideRecords.filter((r) => isAlive(r.type, r.resource));
      if (this.outsideRecords.length < MAX_RECORDS) this.outsideRecords.push(record);
    }
  }

  /** The records still alive; the closed ones are counted in the running test's `closed` (at `ts`). */
  private keepAlive(records: ResourceRecord[], ts: number): ResourceRecord[] {
    const alive: ResourceRecord[] = [];
    for (const r of records) {
      if (isAlive(r.type, r.resource)) alive.push(r);
      else tallyClosed(this.closed, r, ts);
    }
    return alive;
  }

  /**
   * The records still alive that are leaks: at a test's end, returned for its `leaks` arg (their
   * one record) and watched from then on (LeakWatch), those its own hooks closed going to
   * `closedByHooks`; at stop, written as `leak: TYPE` instants. A
   * child process's stdio pipes share its stack and are folded into it. A resource whose stack
   * shows the runner made it is the runner's, not a leak. At stop, resources created outside
   * tests count only when user code (outside node_modules) created them: the runner's own handles
   * live for the whole run.
   */
  private findLeaks(
    records: ResourceRecord[],
    ts: number,
    atStop: boolean,
    closedByHooks?: LeakRecord[],
    closed?: Tally,
  ): (LeakRecord & { test?: string; file?: string })[] {
    const leaks: (LeakRecord & { test?: string; file?: string })[] = [];
    // undefined: alive but closing by itself (an ended socket, a signalled child process)
    const alive: (boolean | undefined)[] = records.map((r) => isAlive(r.type, r.resource));
    if (!atStop) {
      // the closing ones of earlier tests have closed by now, most of them: kept, they would keep
      // their sockets' objects (a request, its parser and buffers) alive to the file's end
      if (this.closing.length > 0) this.closing = this.closing.filter((r) => isAlive(r.type, r.resource));
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (!alive[i] || r.pool !== undefined || !isClosing(r.type, r.resource)) continue;
        // closing by itself: counted as closed (its lifetime up to now), checked again at its file's end
        alive[i] = undefined;
        r.closingSince = ts;
        if (closed !== undefined) tallyClosed(closed, r, ts);
        if (this.closing.length < MAX_CLOSING) this.closing.push(r);
      }
    }
    // a handle's stack is formatted only now, and only if it outlives the test (or is the child
    // process whose pipes do: they fold into it by their shared stack)
    const pipesAlive = records.some((r, i) => alive[i] && r.type === 'PIPEWRAP');
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (alive[i] || (pipesAlive && r.type === 'PROCESSWRAP')) formatHandleStack(r);
    }
    const childStacks = new Set<string>();
    for (const r of records) if (r.type === 'PROCESSWRAP' && r.stack !== '') childStacks.add(r.stack);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (alive[i] === undefined) continue;
      if (!alive[i]) {
        if (r.openAtBody && closedByHooks !== undefined) closedByHooks.push(withLabel({ type: r.type, id: r.id, stack: formatHandleStack(r) }, r.bodyLabel));
        if (closed !== undefined) tallyClosed(closed, r, ts);
        continue;
      }
      if (r.type !== 'Timeout' && madeByRunner(r.stack)) continue;
      const leak = this.asLeak(r, ts, atStop, childStacks);
      if (leak === undefined) {
        // it outlives its test without leaking (an idle keep-alive socket, a connection its server
        // accepted): its creation is written after all, at the time it was made; a child's pipes
        // are the child's
        if (r.deferred && !(r.type === 'PIPEWRAP' && childStacks.has(r.stack))) {
          const label = r.pool === undefined ? undefined : poolSocketLabel(r.pool, false);
          this.recorder.resourceInstant(`created: ${r.type}`, Track.async, r.created, r.type, r.id, undefined, r.stack, label, r.test);
        }
        continue;
      }
      if (atStop) {
        // no test's record carries it: its report and its creation are events of their own
        if (r.deferred) this.recorder.resourceInstant(`created: ${r.type}`, Track.async, r.created, r.type, r.id, undefined, leak.stack, leak.label, r.test);
        this.recorder.resourceInstant(`leak: ${r.type}`, Track.async, ts, r.type, r.id, undefined, leak.stack, leak.label, r.test);
        leaks.push({ ...leak, test: r.test, file: r.file });
      } else {
        // the test's `leaks` arg is its one record: when it was made, if not written then
        if (r.deferred) leak.ageMs = roundMs((ts - r.created) / 1000);
        this.watch.add(r.type, r.id, r.resource, r.test, r.file, ts);
        leaks.push(leak);
      }
    }
    return leaks;
  }

  /** `r`, alive at `ts`, as a leak; undefined when it is not one (due soon, pooled, accepted, a child's pipe, the runner's). */
  private asLeak(r: ResourceRecord, ts: number, atStop: boolean, childStacks: ReadonlySet<string>): LeakRecord | undefined {
    if (r.type === 'Timeout' && firesWithin(r.resource, ts, DUE_SOON_MS)) {
      // a one-shot timer about to fire (jsdom's 1 ms timer on focus()) ends by itself: counted, not a leak
      this.dueSoon++;
      return undefined;
    }
    if (r.pool !== undefined && !poolSocketLeaks(r.pool)) return undefined;
    if ((r.type === 'TCPWRAP' || r.type === 'PIPEWRAP') && r.pool === undefined && isAcceptedSocket(r.resource)) return undefined;
    if (r.type === 'PIPEWRAP' && (childStacks.has(r.stack) || isStdioPipe(r.resource))) return undefined;
    // a timer whose callback is shared (a promise's resolve) is judged by its own stack
    if (r.frames !== undefined && madeByRunner(formatStack(r))) return undefined;
    if (atStop && r.test === undefined && !hasUserFrame(r.stack)) return undefined;
    const stack = r.stack !== '' || !isServerType(r.type) ? r.stack : this.serverStack(r.resource);
    const label = r.pool !== undefined ? poolSocketLabel(r.pool, true) : describeHandle(r.type, r.resource);
    const leak: LeakRecord = withLabel({ type: r.type, id: r.id, stack }, label);
    if (r.library !== undefined) leak.library = r.library;
    return leak;
  }

  private serverStack(handle: object): string {
    const server = ownerOf(handle);
    if (server === undefined) return '';
    const stack = this.listenStacks.get(server);
    if (stack === undefined || typeof stack === 'string') return stack ?? '';
    const text = formatFrames(stack);
    this.listenStacks.set(server, text);
    return text;
  }

  /** Full detail on Node 24.21+: counts and times promise reactions through V8's hooks; returns their stop. */
  private hookPromises(): () => void {
    return promiseHooks.createHook({
      init: () => {
        this.promises++;
      },
      before: () => {
        this.promiseStarts.push(nowUs());
      },
      after: () => this.promiseAfter(),
    }) as () => void;
  }

  /**
   * A promise reaction has run. Reactions run one after another from the microtask queue (none
   * inside another), but a hook installed during one sees its `after` alone. V8's hooks give a
   * promise no async id: the slice's `id` and `trigger` are -1.
   */
  private promiseAfter(): void {
    try {
      const start = this.promiseStarts.pop();
      if (start === undefined) return;
      const dur = nowUs() - start;
      if (dur < CALLBACK_SLICE_US) {
        if (this.test !== undefined) addTo(this.callbacks, 'PROMISE', dur);
        return;
      }
      this.recorder.asyncCallback('PROMISE', Track.async, start, dur, -1, -1);
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }

  private before(id: number): void {
    this.openIds.push(id);
    this.openStarts.push(nowUs());
  }

  private after(id: number): void {
    try {
      const end = nowUs();
      // a callback that threw may have skipped its `after`; one that began before the hook was
      // enabled has no `before`: unwind to the matching entry, or ignore
      const ids = this.openIds;
      const at = ids.lastIndexOf(id);
      if (at === -1) return;
      const start = this.openStarts[at]!;
      // pop, not `length = at`: setting an array's length is a call into the runtime, ~6 % of
      // an await's cost in full detail (bench/core-await.mjs); `at` is the last entry but rarely
      while (ids.length > at) {
        ids.pop();
        this.openStarts.pop();
      }
      const dur = end - start;
      // a short callback outside tests (a file's imports, the runner between tests) is not
      // recorded: return before looking up its type (most callbacks of an import-heavy file)
      if (dur < CALLBACK_SLICE_US && this.test === undefined) return;
      // still the callback's context: its resource and trigger (none for a promise made before
      // the hook was enabled: -1, as for a resource init never saw)
      const resource = executionAsyncResource();
      const type = this.types.get(resource) ?? (utilTypes.isPromise(resource) ? 'PROMISE' : 'unknown');
      if (dur < CALLBACK_SLICE_US) {
        addTo(this.callbacks, type, dur);
        return;
      }
      const trigger = triggerAsyncId();
      this.recorder.asyncCallback(type, Track.async, start, dur, id, trigger >= 0 ? trigger : -1);
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }
}

/**
 * What a leaked socket or server is, read from its owner at the leak check (only leaks pay for
 * it): `socket to 10.0.0.1:443`, `server on 127.0.0.1:8080`. Undefined when the handle says nothing.
 */
/** A one-shot timer due this soon after its test's end is settling, not leaked. */
const DUE_SOON_MS = 10;

/**
 * Node keeps a Timeout's start in `_idleStart`, in whole milliseconds of libuv's loop clock: the
 * machine's monotonic clock less a base fixed when the loop started. Trace time is that clock too,
 * so one reading (a timer made and cleared before any test runs) gives the difference, to a ms.
 */
let loopClockOffsetMs: number | undefined;
function measureLoopClockOffset(): number | undefined {
  const probe = nodeTimers.setTimeout(() => {}, 1);
  const idleStart = (probe as unknown as { _idleStart?: number })._idleStart;
  const ts = nowUs();
  nodeTimers.clearTimeout(probe);
  return typeof idleStart === 'number' ? idleStart - ts / 1000 : undefined;
}

/** Whether a Timeout is a one-shot due within `ms` of `ts` (trace µs). */
function firesWithin(resource: object, ts: number, ms: number): boolean {
  const timer = resource as { _idleTimeout?: number; _idleStart?: number; _repeat?: number | null };
  if (loopClockOffsetMs === undefined || typeof timer._repeat === 'number') return false;
  if (typeof timer._idleTimeout !== 'number' || typeof timer._idleStart !== 'number') return false;
  return timer._idleStart + timer._idleTimeout - (ts / 1000 + loopClockOffsetMs) <= ms;
}

export function describeHandle(type: LeakableType, resource: object): string | undefined {
  try {
    if (type === 'Timeout') {
      // Node's Timeout keeps the period in _idleTimeout and, for setInterval, the same in _repeat
      const timer = resource as { _idleTimeout?: number; _repeat?: number | null };
      if (typeof timer._repeat === 'number') return `setInterval every ${timer._repeat} ms`;
      if (typeof timer._idleTimeout === 'number') return `setTimeout of ${timer._idleTimeout} ms`;
      return undefined;
    }
    if (type === 'TCPWRAP') {
      const socket = ownerOf(resource) as { remoteAddress?: string; remotePort?: number } | undefined;
      return socket?.remoteAddress === undefined ? undefined : `socket to ${socket.remoteAddress}:${socket.remotePort}`;
    }
    if (isServerType(type)) {
      const server = ownerOf(resource) as { address?(): unknown } | undefined;
      const address = server?.address?.() as { address?: string; port?: number } | string | null | undefined;
      if (typeof address === 'string') return `server on ${address}`;
      if (address?.address !== undefined) return `server on ${address.address}:${address.port}`;
    }
  } catch {
    // a closing handle may refuse: the leak stands without a label
  }
  return undefined;
}

/** A handle's stack, formatted from its frames on first use (a timer's waits for the leak check: it may be due soon). */
function formatHandleStack(r: ResourceRecord): string {
  return r.type === 'Timeout' ? r.stack : formatStack(r);
}

/** A record's stack, formatted from its raw frames once (formatting consumes them). */
function formatStack(r: ResourceRecord): string {
  if (r.frames !== undefined) {
    r.stack = formatFrames(r.frames);
    r.frames = undefined;
  }
  return r.stack;
}

function withLabel(leak: LeakRecord, label: string | undefined): LeakRecord {
  if (label !== undefined) leak.label = label;
  return leak;
}

/**
 * A deferred record found closed at `ts`: counted with its lifetime, to its close() call (or to
 * `ts` for a FileHandle, whose close is not seen), and never written.
 */
function tallyClosed(closed: Tally, r: ResourceRecord, ts: number): void {
  if (r.deferred) addTo(closed, r.type, Math.max(0, (r.closedAt ?? ts) - r.created));
}


/** Per type, how many more (or fewer) active resources there are now than before. */
function resourceDelta(before: string[], after: string[]): Record<string, number> | undefined {
  if (sameList(before, after)) return undefined;
  const delta = new Map<string, number>();
  for (const type of after) delta.set(type, (delta.get(type) ?? 0) + 1);
  for (const type of before) delta.set(type, (delta.get(type) ?? 0) - 1);
  let out: Record<string, number> | undefined;
  for (const [type, n] of delta) {
    if (n === 0) continue;
    out ??= {};
    out[type] = n;
  }
  return out;
}

/** The same entries in the same order: most tests leave the active resources as they found them. */
function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
