/** The words `leaks` and `summary` use for what became of a leaked resource. */
import type { LeakClosing, LeakLifetime, LeakPlace } from '@testtrace/core/analysis';
import { duration } from './format.js';

/** Short names, as counted in a line: `1 kept a worker alive, 2 closed later`. */
const COUNTED: Record<LeakLifetime, [one: string, many: string]> = {
  'worker-exit': ['kept a worker alive', 'kept workers alive'],
  'file-end': ['outlived its file', 'outlived their files'],
  unknown: ['not checked after its test', 'not checked after their tests'],
  'closed-later': ['closed later', 'closed later'],
  'own-hooks': ["closed by its test's own hooks", "closed by their tests' own hooks"],
};

/** `1 kept a worker alive, 2 closed later` for the lifetimes in `order` that have any. */
export function lifetimeCounts(byLifetime: Record<LeakLifetime, number>, order: readonly LeakLifetime[]): string {
  return order
    .filter((l) => byLifetime[l] > 0)
    .map((l) => `${byLifetime[l]} ${COUNTED[l][byLifetime[l] === 1 ? 0 : 1]}`)
    .join(', ');
}

/** What became of a group of resources, after its type: `open when its worker ended: kept it alive`. */
export function lifetimeText(lifetime: LeakLifetime, closed: LeakClosing | undefined, testFile: string): string {
  switch (lifetime) {
    case 'worker-exit':
      return 'still open when its worker ended: kept it alive';
    case 'file-end':
      return `still open when its file ended${closed ? `; ${closingText(closed, testFile)}` : ''}`;
    case 'unknown':
      return 'open at the end of its test, not checked after (its worker was killed, or the trace predates lifetimes)';
    case 'closed-later':
      return closed ? closingText(closed, testFile) : 'closed later';
    case 'own-hooks':
      return "closed by the test's own afterEach hooks: not a leak";
  }
}

/** `closed 51 ms after the test, during client > waits for the socket to close`. */
export function closingText(closed: LeakClosing, testFile: string): string {
  const near = closed.afterMs - closed.fromMs <= Math.max(15, closed.afterMs * 0.2);
  const when = near ? duration(closed.afterMs) : `${duration(closed.fromMs)}–${duration(closed.afterMs)}`;
  const where = closed.during ? `, ${placeText(closed.during, testFile)}` : '';
  return `closed ${when} after the test${where}`;
}

function placeText(place: LeakPlace, testFile: string): string {
  const file = place.file !== undefined && place.file !== testFile ? `${place.file} > ` : '';
  switch (place.kind) {
    case 'hook':
      return `in ${place.hook}${place.fullName !== undefined ? ` of ${file}${place.fullName}` : place.file !== undefined ? ` of ${place.file}` : ''}`;
    case 'test':
      return `during ${file}${place.fullName}`;
    case 'file':
      return place.afterTests ? `after the tests of ${place.file}, in its teardown` : `in ${place.file}, between tests`;
    case 'outside files':
      return 'after its file ended';
  }
}
