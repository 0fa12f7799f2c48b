#!/usr/bin/env node
// Runs the e2e tests on the newest release of each toolchain major (test/toolchains.ts in
// `newest` mode, installed into test/.versions-newest/) and prints what broke, against the
// pinned versions `npm test` uses. Not part of `npm test`: registries publish under it.
//   node test/try-newest.mjs [vitest filters…]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-newest-')), 'report.json');
const run = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, TESTTRACE_TOOLCHAINS: 'newest' },
});

const versions = path.join(root, 'test/.versions-newest');
console.log('\nnewest of each major:');
for (const name of fs.existsSync(versions) ? fs.readdirSync(versions).sort() : []) {
  const deps = JSON.parse(fs.readFileSync(path.join(versions, name, 'package.json'), 'utf8')).dependencies ?? {};
  const installed = Object.keys(deps).map((dep) => {
    const manifest = path.join(versions, name, 'node_modules', dep, 'package.json');
    return `${dep} ${fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, 'utf8')).version : '(not installed)'}`;
  });
  console.log(`  ${name}: ${installed.join(', ')}`);
}

if (!fs.existsSync(report)) {
  console.log(`\nvitest wrote no report (exit ${run.status})`);
  process.exit(1);
}
const results = JSON.parse(fs.readFileSync(report, 'utf8'));
const broke = results.testResults.flatMap((file) =>
  file.assertionResults
    .filter((a) => a.status === 'failed')
    .map((a) => `  ${path.relative(root, file.name)} > ${a.fullName}\n    ${(a.failureMessages[0] ?? '').split('\n')[0]}`),
);
console.log(broke.length === 0 ? '\nnothing broke' : `\nwhat broke (${broke.length}):\n${broke.join('\n')}`);
process.exit(broke.length === 0 ? 0 : 1);
