import type { TraceTables } from './model.js';
import type { OwnerKind, OwnerOverlap } from './owners.js';

/**
 * A test as the CLI and the viewer name it: `[project] file > full name`, with its place among the
 * tests of its file that share its name from the second on (`handles input (2nd)`): two tests of
 * one name are two tests, not a test and its retry.
 */
export function testLabel(test: { project?: string; file: string; fullName: string; nameIndex?: number }): string {
  const nth = test.nameIndex !== undefined && test.nameIndex > 1 ? ` (${ordinal(test.nameIndex)})` : '';
  return `${unitLabel(test)} > ${test.fullName}${nth}`;
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A file as the run ran it: `[project] file`. */
export function unitLabel(unit: { project?: string; file: string }): string {
  return `${unit.project !== undefined ? `[${unit.project}] ` : ''}${unit.file}`;
}

/** What each kind of owner is called where time is summed by kind (a phase by its own name). */
export const OWNER_KIND_LABEL: Record<Exclude<OwnerKind, 'phase'>, string> = {
  test: 'test bodies',
  hook: 'beforeEach/afterEach hooks',
  'suite hook': 'beforeAll/afterAll hooks',
  file: 'other time in files',
  outside: 'outside any file',
};

/** An owner's share of a window, described for reports. */
export interface OwnerShare {
  kind: OwnerKind;
  /** One line: `[p] file > test`, `… (in beforeEach)`, `beforeAll of file > suite`, `import of file`, `outside any file`. */
  label: string;
  ms: number;
  /** Of the window, 0–1. */
  share: number;
  file?: string;
  project?: string;
  /** The test of a test body or of a beforeEach/afterEach hook. */
  test?: { file: string; project?: string; fullName: string; nameIndex?: number; retry: number };
  /** A hook's kind (`beforeEach`, `beforeAll`, …), its file and the suite or test it ran for, as its args name them. */
  hook?: { hook: string; file?: string; fullName?: string };
  /** A phase's name. */
  phase?: string;
}

/** The group a kind of owner is summed in: the kind's label, or a phase's name. */
export function ownerGroup(tables: TraceTables, owner: { kind: OwnerKind; index: number }): string {
  return owner.kind === 'phase' ? tables.phases[owner.index]!.name : OWNER_KIND_LABEL[owner.kind];
}

/** Describes each owner of a window of `windowUs` microseconds, from the tables alone. */
export function describeOwners(tables: TraceTables, owners: readonly OwnerOverlap[], windowUs: number): OwnerShare[] {
  return owners.map((o) => describeOwner(tables, o, windowUs));
}

function describeOwner(tables: TraceTables, o: OwnerOverlap, windowUs: number): OwnerShare {
  const base = { kind: o.kind, ms: Math.round(o.us) / 1000, share: windowUs > 0 ? Math.round((o.us / windowUs) * 1000) / 1000 : 0 };
  const t = tables.testTable;
  const testOf = (i: number) => {
    const project = t.project(i);
    return { file: t.file(i), ...(project !== undefined ? { project } : {}), fullName: t.fullName(i), ...tables.identities.nameIndexField(i), retry: t.retry[i]! };
  };
  const where = (unit: { file: string; project?: string }) => ({ file: unit.file, ...(unit.project !== undefined ? { project: unit.project } : {}) });
  switch (o.kind) {
    case 'test': {
      const test = testOf(o.index);
      return { ...base, label: testLabel(test), ...where(test), test };
    }
    case 'hook':
    case 'suite hook': {
      const h = tables.hookTable;
      const hookFile = h.file(o.index);
      const fullName = h.fullName(o.index);
      const hook = { hook: h.hook(o.index), ...(hookFile ? { file: hookFile } : {}), ...(fullName !== undefined ? { fullName } : {}) };
      const inTest = h.test[o.index]!;
      if (inTest >= 0) {
        const test = testOf(inTest);
        return { ...base, label: `${testLabel(test)} (in ${hook.hook})`, ...where(test), test, hook };
      }
      // the file span around a suite hook gives its project too
      const file = fileAround(tables, o.index) ?? (hookFile ? { file: hookFile } : undefined);
      const of = file ? (fullName ? `${unitLabel(file)} > ${fullName}` : unitLabel(file)) : undefined;
      return { ...base, label: of ? `${hook.hook} of ${of}` : hook.hook, ...(file ? where(file) : {}), hook };
    }
    case 'phase': {
      const phase = tables.phases[o.index]!;
      return { ...base, label: `${phase.name} of ${unitLabel(phase)}`, ...where(phase), phase: phase.name };
    }
    case 'file': {
      const file = tables.files[o.index]!;
      return { ...base, label: `${unitLabel(file)} (outside its tests, hooks and phases)`, ...where(file) };
    }
    case 'outside':
      return { ...base, label: OWNER_KIND_LABEL.outside };
  }
}

function fileAround(tables: TraceTables, hook: number): { file: string; project?: string } | undefined {
  const h = tables.hookTable;
  const pid = h.pid(hook);
  return tables.files.find((f) => f.pid === pid && f.start <= h.start[hook]! && h.end[hook]! <= f.end);
}
