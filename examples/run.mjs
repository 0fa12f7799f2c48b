// `npm run example`: runs the bundled example suite traced, then prints the trace's summary.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const suite = path.join(root, 'examples', 'slow-suite');
const trace = path.join(suite, 'trace.out');

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: suite, stdio: 'inherit' });
  return result.status ?? 1;
}

const testExit = run([path.join(root, 'packages/vitest/bin/vitest-trace.js'), 'run', `--trace=${trace}`, '--trace-per-test=retain-on-failure']);
console.log(`\n$ testtrace summary ${path.relative(process.cwd(), trace)}\n`);
const summaryExit = run([path.join(root, 'packages/cli/bin/testtrace.js'), 'summary', trace]);
console.log(`\nMore: testtrace tests|leaks|stalls|mmu|view ${path.relative(process.cwd(), trace)}`);
process.exit(testExit || summaryExit);
