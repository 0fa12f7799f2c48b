import type { LeakSite, TraceModel } from './model.js';

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

export interface LeakGroup {
  type: string;
  kind: LeakKind;
  count: number;
  /** false when every resource of the group was unref'd (it cannot keep the process alive). */
  refed: boolean;
  /** Distinct creation stacks, most frequent first. */
  stacks: { stack: string; label?: string; count: number }[];
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
  /** Sum of the leaks' suspicion scores: the order of the report. */
  score: number;
  count: number;
  /** By type, most suspicious first. */
  groups: LeakGroup[];
}

export interface LeakReport {
  total: number;
  tests: TestLeaks[];
  /** Leaks that no test claimed (reported outside any test), grouped. */
  outsideTests: LeakGroup[];
}

function group(leaks: LeakSite[]): LeakGroup[] {
  const byType = new Map<string, LeakSite[]>();
  for (const l of leaks) {
    const kind = leakKind(l);
    const key = `${kind}\0${l.type}`;
    let list = byType.get(key);
    if (!list) byType.set(key, (list = []));
    list.push(l);
  }
  const groups: (LeakGroup & { score: number })[] = [];
  for (const list of byType.values()) {
    const stacks = new Map<string, { stack: string; label?: string; count: number }>();
    for (const l of list) {
      const key = `${l.label ?? ''}\0${l.stack}`;
      const site = stacks.get(key);
      if (site) site.count++;
      else stacks.set(key, l.label === undefined ? { stack: l.stack, count: 1 } : { stack: l.stack, label: l.label, count: 1 });
    }
    groups.push({
      type: list[0]!.type,
      kind: leakKind(list[0]!),
      count: list.length,
      refed: list.some((l) => refFactor(l) === 1),
      stacks: [...stacks.values()].sort((a, b) => b.count - a.count),
      score: Math.max(...list.map(leakScore)),
    });
  }
  return groups.sort((a, b) => b.score - a.score || b.count - a.count).map(({ score, ...g }) => {
    void score;
    return g;
  });
}

/** Leaked resources per test, most suspicious test first (ref'd servers and sockets above unref'd timers). */
export function leakReport(model: TraceModel): LeakReport {
  const tests: TestLeaks[] = [];
  let total = model.orphanLeaks.length;
  for (const t of model.tests) {
    if (t.leaks.length === 0) continue;
    total += t.leaks.length;
    tests.push({
      file: t.file,
      ...(t.project !== undefined ? { project: t.project } : {}),
      fullName: t.fullName,
      ...(t.nameIndex !== undefined ? { nameIndex: t.nameIndex } : {}),
      retry: t.retry,
      status: t.status,
      worker: t.worker,
      score: t.leaks.reduce((s, l) => s + leakScore(l), 0),
      count: t.leaks.length,
      groups: group(t.leaks),
    });
  }
  tests.sort((a, b) => b.score - a.score || b.count - a.count || (a.fullName < b.fullName ? -1 : 1));
  return { total, tests, outsideTests: group(model.orphanLeaks) };
}
