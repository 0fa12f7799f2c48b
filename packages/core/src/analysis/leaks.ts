import { LEAK_LIFETIMES, LeakLifetimes, lifetimeRank, type LeakClosing, type LeakLife, type LeakLifetime } from './leak-lifetimes.js';
import { viewStack } from './leak-stacks.js';
import type { LeakSite, TraceTables } from './model.js';
import { UNFINISHED } from '../format/events.js';

/** How worrying a leaked resource type is: what keeps a process alive or holds a port comes first. */
export type LeakKind = 'server' | 'socket' | 'child process' | 'worker' | 'watcher' | 'interval' | 'timer' | 'immediate' | 'other';

interface KindRule {
  kind: LeakKind;
  weight: number;
  types: RegExp;
}

const KINDS: KindRule[] = [
  { kind: 'server', weight: 100, types: /^(TCPSERVERWRAP|PIPESERVERWRAP|HTTPSERVER|Server|UDPWRAP)$/i },
  { kind: 'socket', weight: 80, types: /^(TCPWRAP|PIPEWRAP|TLSWRAP|HTTPCLIENTREQUEST|HTTPINCOMINGMESSAGE|Socket|TTYWRAP)$/i },
  { kind: 'child process', weight: 70, types: /^(PROCESSWRAP|ChildProcess|SIGNALWRAP)$/i },
  { kind: 'worker', weight: 60, types: /^(WORKER|Worker|MESSAGEPORT|MessagePort)$/i },
  { kind: 'watcher', weight: 50, types: /^(FSEVENTWRAP|STATWATCHER|FSWatcher)$/i },
  { kind: 'interval', weight: 40, types: /^Interval$/i },
  { kind: 'timer', weight: 20, types: /^(Timeout|Timer)$/i },
  { kind: 'immediate', weight: 10, types: /^Immediate$/i },
];

export function leakKind(leak: LeakSite): LeakKind {
  const extra = leak.extra ?? {};
  if (/^Timeout$/i.test(leak.type) && (extra.repeat || extra.interval || /setInterval/.test(leak.label ?? '') || /setInterval/.test(leak.stack))) return 'interval';
  return KINDS.find((k) => k.types.test(leak.type))?.kind ?? 'other';
}

/** ref'd resources keep the process from exiting: they weigh more than unref'd ones. */
function refFactor(leak: LeakSite): number {
  const extra = leak.extra ?? {};
  const refed = extra.hasRef ?? extra.refed ?? extra.ref;
  if (refed === false) return 0.25;
  if (extra.unref === true) return 0.25;
  return 1;
}

export function leakScore(leak: LeakSite): number {
  const kind = leakKind(leak);
  const weight = KINDS.find((k) => k.kind === kind)?.weight ?? 5;
  return weight * refFactor(leak);
}

/** One creation stack (and label) of a group. */
export interface LeakStack {
  /** The whole stack as recorded: one frame a line, innermost first. */
  stack: string;
  label?: string;
  count: number;
  /** The package whose code made the resource, when a library made it (or the tracer named it for want of a stack). */
  library?: string;
  /** When and where each of these resources closed, for the lifetimes that closed. */
  closed?: LeakClosing[];
}

export interface LeakGroup {
  type: string;
  kind: LeakKind;
  /** What became of these resources after their test; see LeakLifetime. */
  lifetime: LeakLifetime;
  count: number;
  /** false when every resource of the group was unref'd (it cannot keep the process alive). */
  refed: boolean;
  /** Distinct creation stacks, most frequent first. */
  stacks: LeakStack[];
  /** Made in the runner's main process (a global setup, a plugin, a reporter), not in a worker. */
  mainProcess?: true;
}

export interface TestLeaks {
  file: string;
  project?: string;
  fullName: string;
  /** The test's place among the tests of its file with the same full name, from 1; absent when no other has it. */
  nameIndex?: number;
  retry: number;
  status: string;
  worker: string;
  /** The most harmful lifetime of its leaks: the report's first order. */
  lifetime: LeakLifetime;
  /** Sum of the leaks' suspicion scores: the order among tests of one lifetime. */
  score: number;
  count: number;
  /** By lifetime, then type, most harmful first. */
  groups: LeakGroup[];
}

/** A resource still open when a worker's tracing ended: what kept it alive. */
export interface KeptAliveResource {
  type: string;
  kind: LeakKind;
  label?: string;
  stack: string;
  library?: string;
  /** The test that made it; none for what was made outside tests (full detail). */
  test?: { file: string; project?: string; fullName: string; nameIndex?: number; retry: number };
}

export interface KeptAlive {
  worker: string;
  pid: number;
  resources: KeptAliveResource[];
}

export interface LeakReport {
  /** Resources listed in the report. */
  total: number;
  /** Resources of a lifetime left out (closed by their test's own hooks), unless `all`. */
  hidden: number;
  /** Every resource a test left open at the end of its function, by lifetime, listed or not. */
  byLifetime: Record<LeakLifetime, number>;
  /** Per worker, what was still open when its tracing ended: what kept it (and the run) alive. */
  keptAlive: KeptAlive[];
  /** Tests with listed leaks, most harmful first. */
  tests: TestLeaks[];
  /** Leaks that no test claimed (made outside any test, full detail), grouped. */
  outsideTests: LeakGroup[];
}

export interface LeakReportOptions {
  /** Also list what the tests' own hooks closed (not leaks). */
  all?: boolean;
}

/** The lifetimes shown without `all`: what outlived its test. */
const HARMLESS: ReadonlySet<LeakLifetime> = new Set(['own-hooks']);

interface Lived {
  leak: LeakSite;
  life: LeakLife;
}

function group(leaks: Lived[]): LeakGroup[] {
  const byKey = new Map<string, Lived[]>();
  for (const l of leaks) {
    const key = `${l.life.lifetime}\0${leakKind(l.leak)}\0${l.leak.type}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(l);
  }
  const groups: (LeakGroup & { score: number })[] = [];
  for (const list of byKey.values()) {
    const stacks = new Map<string, LeakStack>();
    for (const { leak, life } of list) {
      const key = `${leak.label ?? ''}\0${leak.stack}`;
      let site = stacks.get(key);
      if (site) site.count++;
      else {
        site = { stack: leak.stack, count: 1 };
        if (leak.label !== undefined) site.label = leak.label;
        const library = leak.library ?? viewStack(leak.stack).library;
        if (library !== undefined) site.library = library;
        stacks.set(key, site);
      }
      if (life.closed !== undefined) (site.closed ??= []).push(life.closed);
    }
    const first = list[0]!;
    groups.push({
      type: first.leak.type,
      kind: leakKind(first.leak),
      lifetime: first.life.lifetime,
      count: list.length,
      refed: list.some((l) => refFactor(l.leak) === 1),
      stacks: [...stacks.values()].sort((a, b) => b.count - a.count),
      score: lifetimeRank(first.life.lifetime) * 1000 + Math.max(...list.map((l) => leakScore(l.leak))),
    });
  }
  return groups.sort((a, b) => b.score - a.score || b.count - a.count).map(({ score, ...g }) => {
    void score;
    return g;
  });
}

function worst(leaks: Lived[]): LeakLifetime {
  let best = leaks[0]!.life.lifetime;
  for (const l of leaks) if (lifetimeRank(l.life.lifetime) > lifetimeRank(best)) best = l.life.lifetime;
  return best;
}

/**
 * Resources each test left open, with what became of them, most harmful test first: what kept a
 * worker alive, then what outlived its file, then what closed later; ref'd servers and sockets
 * above unref'd timers within each. What a test's own hooks closed is left out unless `all`.
 */
export function leakReport(tables: TraceTables, options: LeakReportOptions = {}): LeakReport {
  const lifetimes = new LeakLifetimes(tables);
  const tests = tables.testTable;
  const names = new Map(tables.processes.map((p) => [p.pid, p.name]));
  const byLifetime = Object.fromEntries(LEAK_LIFETIMES.map((l) => [l, 0])) as Record<LeakLifetime, number>;
  const kept = new Map<number, KeptAliveResource[]>();
  const keep = (pid: number, { leak, life }: Lived, test?: KeptAliveResource['test']) => {
    if (life.lifetime !== 'worker-exit') return;
    const resource: KeptAliveResource = { type: leak.type, kind: leakKind(leak), stack: leak.stack };
    if (leak.label !== undefined) resource.label = leak.label;
    const library = leak.library ?? viewStack(leak.stack).library;
    if (library !== undefined) resource.library = library;
    if (test !== undefined) resource.test = test;
    const list = kept.get(pid);
    if (list) list.push(resource);
    else kept.set(pid, [resource]);
  };

  const report: TestLeaks[] = [];
  let total = 0;
  let hidden = 0;
  for (let i = 0; i < tests.count; i++) {
    // what a test still running when the trace ended holds is what it waits on (summary), not a leak
    if (tests.status(i) === UNFINISHED) continue;
    const pid = tests.pid(i);
    const since = tests.end[i]!;
    const lived: Lived[] = [];
    for (const leak of tests.leaks.get(i) ?? []) lived.push({ leak, life: lifetimes.of(leak, pid, since) });
    for (const leak of tables.closedByHooks.get(i) ?? []) lived.push({ leak, life: { lifetime: 'own-hooks' } });
    if (lived.length === 0) continue;
    const project = tests.project(i);
    const test = { file: tests.file(i), ...(project !== undefined ? { project } : {}), fullName: tests.fullName(i), ...tables.identities.nameIndexField(i), retry: tests.retry[i]! };
    for (const l of lived) {
      byLifetime[l.life.lifetime]++;
      keep(pid, l, test);
    }
    const shown = options.all ? lived : lived.filter((l) => !HARMLESS.has(l.life.lifetime));
    hidden += lived.length - shown.length;
    if (shown.length === 0) continue;
    total += shown.length;
    report.push({
      ...test,
      status: tests.status(i),
      worker: names.get(pid) ?? `pid ${pid}`,
      lifetime: worst(shown),
      score: shown.reduce((s, l) => s + leakScore(l.leak), 0),
      count: shown.length,
      groups: group(shown),
    });
  }
  report.sort(
    (a, b) => lifetimeRank(b.lifetime) - lifetimeRank(a.lifetime) || b.score - a.score || b.count - a.count || (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0),
  );

  const outside: Lived[] = tables.orphanLeaks.map((leak) => ({ leak, life: lifetimes.of(leak, leak.pid ?? 0, leak.ts ?? -Infinity) }));
  for (const l of outside) {
    byLifetime[l.life.lifetime]++;
    keep(l.leak.pid ?? 0, l);
  }
  total += outside.length;

  const keptAlive = [...kept]
    .map(([pid, resources]) => ({ worker: names.get(pid) ?? `pid ${pid}`, pid, resources }))
    .sort((a, b) => a.pid - b.pid);
  const main = new Set(tables.processes.filter((p) => p.kind === 'main').map((p) => p.pid));
  const inMain = outside.filter((l) => main.has(l.leak.pid ?? 0));
  const inWorkers = outside.filter((l) => !main.has(l.leak.pid ?? 0));
  const outsideTests = [...group(inWorkers), ...group(inMain).map((g): LeakGroup => ({ ...g, mainProcess: true }))];
  return { total, hidden, byLifetime, keptAlive, tests: report, outsideTests };
}
