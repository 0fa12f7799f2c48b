import './style.css';
import { Router, type Route } from './router.js';
import { overviewPage } from './pages/overview.js';
import { timelinePage } from './pages/timeline.js';
import { testsPage } from './pages/tests.js';
import { testPage } from './pages/test.js';
import { stallsPage } from './pages/stalls.js';
import { leaksPage } from './pages/leaks.js';
import { mmuPage } from './pages/mmu.js';
import { importsPage } from './pages/imports.js';
import { diffPage } from './pages/diff.js';

const routes: Route[] = [
  { path: '', title: 'Overview', page: overviewPage, nav: true },
  { path: 'timeline', title: 'Timeline', page: timelinePage, nav: true },
  { path: 'tests', title: 'Tests', page: testsPage, nav: true },
  { path: 'test', title: 'Test', page: testPage, nav: false },
  { path: 'stalls', title: 'Stalls', page: stallsPage, nav: true },
  { path: 'leaks', title: 'Leaks', page: leaksPage, nav: true },
  { path: 'mmu', title: 'MMU', page: mmuPage, nav: true },
  { path: 'imports', title: 'Imports', page: importsPage, nav: true },
  // served only by `testtrace view --diff`, whose page shell says so (assets.ts)
  { path: 'diff', title: 'Diff', page: diffPage, nav: document.body.dataset.diff === 'true' },
];

new Router(routes, document.getElementById('app')!, document.getElementById('nav')!).start();
