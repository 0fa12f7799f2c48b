// The suite shapes of bench/shapes.mjs: generated, deterministic, no network. Each shape is one
// description written twice, as ES modules for Vitest and as CommonJS for Jest
// (bench/lib/module-flavours.mjs), under bench/fixtures/shapes/SHAPE/RUNNER (git-ignored):
//
//   child    each test spawns a short `node -e` and reads its stdout through pipes
//   http     an HTTP server per file (beforeAll), requests per test over fresh connections
//   jsdom    DOM components (a counter, a todo list, a form) rendered, clicked and queried in jsdom
//   tiny     10 000 tests of a line each: the worst case for a per-test cost
//   imports  a wide module graph (300 modules) behind one barrel file that every test file imports
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { moduleSource } from './module-flavours.mjs';

export const SHAPES = ['child', 'http', 'jsdom', 'tiny', 'imports'];

const CHILD_FILES = 8;
const CHILD_TESTS = 8;
const HTTP_FILES = 16;
const HTTP_TESTS = 10;
const JSDOM_FILES = 10;
const TINY_FILES = 20;
const TINY_TESTS = 500;
const IMPORT_MODULES = 300;
const IMPORT_FILES = 16;

/** The shape's test files and sources: `{ 'path': text }`, for `runner`. */
const GENERATORS = {
  child(runner) {
    const files = {
      // the same helper as the e2e fixture's, CommonJS for both runners
      'src/child.cjs': fs.readFileSync(new URL('../../test/fixtures/child-processes/tests/run-node.js', import.meta.url), 'utf8'),
    };
    for (let f = 0; f < CHILD_FILES; f++) {
      const tests = [];
      for (let t = 0; t < CHILD_TESTS; t++) {
        tests.push(`  test('computes ${t}', async () => {
    const out = await runNode('process.stdout.write(JSON.stringify({ n: ${f * 100 + t} * 2, v: process.version }))');
    const parsed = JSON.parse(out);
    expect(parsed.n).toBe(${(f * 100 + t) * 2});
    expect(parsed.v).toMatch(/^v\\d+/);
  });\n`);
      }
      files[`tests/c${pad(f)}.test.js`] = moduleSource(runner, [['{ runNode }', '../src/child.cjs']], `describe('child ${f}', () => {\n${tests.join('')}});`);
    }
    return files;
  },

  http(runner) {
    const files = {
      'src/server.js': moduleSource(runner, [['http', 'node:http']], `export function startServer() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const payload = JSON.stringify({ method: req.method, url: req.url, length: body.length });
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(payload);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
export function request(server, method, path, body) {
  const { port } = server.address();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}`),
    };
    for (let f = 0; f < HTTP_FILES; f++) {
      const tests = [];
      for (let t = 0; t < HTTP_TESTS; t++) {
        tests.push(`  test('round trip ${t}', async () => {
    const got = await Promise.all([0, 1, 2].map((i) => request(server, 'POST', '/items/${t}/' + i, 'x'.repeat(${t + 1} * (i + 1)))));
    expect(got.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(got[2].body).toEqual({ method: 'POST', url: '/items/${t}/2', length: ${(t + 1) * 3} });
    const again = await request(server, 'GET', '/health');
    expect(again.body.url).toBe('/health');
  });\n`);
      }
      files[`tests/h${pad(f)}.test.js`] = moduleSource(runner, [['{ startServer, request }', '../src/server.js']], `describe('server ${f}', () => {
  let server;
  beforeAll(async () => { server = await startServer(); });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
${tests.join('')}});`);
    }
    return files;
  },

  jsdom(runner) {
    const files = {
      'src/components.js': moduleSource(runner, [], `export function counter(root, start = 0) {
  const el = document.createElement('div');
  el.className = 'counter';
  el.innerHTML = '<span class="value"></span><button class="inc">+</button><button class="dec">-</button>';
  let value = start;
  const render = () => { el.querySelector('.value').textContent = String(value); };
  el.querySelector('.inc').addEventListener('click', () => { value++; render(); });
  el.querySelector('.dec').addEventListener('click', () => { value--; render(); });
  render();
  root.appendChild(el);
  return el;
}
export function todoList(root, items) {
  const el = document.createElement('ul');
  el.className = 'todos';
  const render = () => {
    el.innerHTML = '';
    for (const item of items) {
      const li = document.createElement('li');
      li.textContent = item.title;
      li.dataset.done = String(item.done);
      li.addEventListener('click', () => { item.done = !item.done; render(); });
      el.appendChild(li);
    }
  };
  render();
  root.appendChild(el);
  return { el, add(title) { items.push({ title, done: false }); render(); } };
}
export function form(root, onSubmit) {
  const el = document.createElement('form');
  el.innerHTML = '<input name="email"><input name="name"><p class="error"></p><button type="submit">Send</button>';
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const email = el.elements.email.value;
    const error = el.querySelector('.error');
    if (!/^[^@]+@[^@]+$/.test(email)) { error.textContent = 'invalid email'; return; }
    error.textContent = '';
    onSubmit({ email, name: el.elements.name.value });
  });
  root.appendChild(el);
  return el;
}`),
    };
    for (let f = 0; f < JSDOM_FILES; f++) {
      const tests = [];
      for (let t = 0; t < 4; t++) {
        tests.push(`  test('counter ${t}', () => {
    const el = counter(document.body, ${t});
    for (let i = 0; i < ${5 + t}; i++) el.querySelector('.inc').click();
    el.querySelector('.dec').click();
    expect(el.querySelector('.value').textContent).toBe('${t + 4 + t}');
  });
  test('todos ${t}', () => {
    const list = todoList(document.body, [{ title: 'a', done: false }, { title: 'b', done: true }]);
    for (let i = 0; i < ${10 + t}; i++) list.add('item ' + i);
    list.el.querySelectorAll('li')[0].click();
    expect(list.el.querySelectorAll('li').length).toBe(${12 + t});
    expect(list.el.querySelector('li').dataset.done).toBe('true');
  });
  test('form ${t}', async () => {
    const sent = [];
    const el = form(document.body, (v) => sent.push(v));
    el.elements.email.value = 'nope';
    el.querySelector('button').click();
    expect(el.querySelector('.error').textContent).toBe('invalid email');
    el.elements.email.value = 'a${t}@example.test';
    el.elements.name.value = 'A';
    el.querySelector('button').click();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([{ email: 'a${t}@example.test', name: 'A' }]);
  });\n`);
      }
      files[`tests/d${pad(f)}.test.js`] = moduleSource(runner, [['{ counter, todoList, form }', '../src/components.js']], `describe('components ${f}', () => {
  afterEach(() => { document.body.innerHTML = ''; });
${tests.join('')}});`);
    }
    return files;
  },

  tiny(runner) {
    const files = {};
    for (let f = 0; f < TINY_FILES; f++) {
      files[`tests/t${pad(f)}.test.js`] = moduleSource(runner, [], `describe('tiny ${f}', () => {
  for (let i = 0; i < ${TINY_TESTS}; i++) {
    test('adds ' + i, () => {
      expect(i + ${f}).toBe(${f} + i);
    });
  }
});`);
    }
    return files;
  },

  imports(runner) {
    const files = {};
    const esm = runner === 'vitest';
    const names = [];
    for (let m = 0; m < IMPORT_MODULES; m++) {
      // each module imports two earlier ones: a graph ~9 levels deep, no cycles
      const deps = m < 10 ? [] : [(m * 7 + 3) % m, Math.floor(m / 2)].filter((d, i, a) => a.indexOf(d) === i);
      const body = `export function f${m}(x) { return ${deps.map((d) => `k${d}.id + `).join('')}x * ${(m % 5) + 1}; }
export const k${m} = { id: ${m}, name: 'module ${m}', tags: ${JSON.stringify(['t' + (m % 7), 't' + (m % 11)])} };
export class C${m} { constructor(v) { this.v = v; } value() { return f${m}(this.v); } }`;
      files[`src/mods/m${pad(m, 3)}.js`] = moduleSource(runner, deps.map((d) => [`{ k${d} }`, `./m${pad(d, 3)}.js`]), body);
      names.push(m);
    }
    files['src/index.js'] = esm
      ? names.map((m) => `export * from './mods/m${pad(m, 3)}.js';`).join('\n') + '\n'
      : `module.exports = Object.assign({}, ${names.map((m) => `require('./mods/m${pad(m, 3)}')`).join(', ')});\n`;
    for (let f = 0; f < IMPORT_FILES; f++) {
      const used = [0, 1, 2, 3].map((q) => f + (q * IMPORT_MODULES) / 4);
      const binding = `{ ${used.map((m) => `f${m}, C${m}, k${m}`).join(', ')} }`;
      const tests = used.map((m) => `  test('module ${m}', () => {
    expect(new C${m}(2).value()).toBe(f${m}(2));
    expect(k${m}.id).toBe(${m});
  });\n`);
      files[`tests/i${pad(f)}.test.js`] = moduleSource(runner, [[binding, '../src/index.js']], `describe('imports ${f}', () => {\n${tests.join('')}});`);
    }
    return files;
  },
};

const VITEST_SHAPE_CONFIG = (environment) => `import { defineConfig } from 'vitest/config';

// untraced: \`vitest run\`; traced: \`vitest-trace run --trace=FILE [--trace-detail=full]\`
export default defineConfig({ test: { include: ['tests/*.test.js'], globals: true, environment: '${environment}' } });
`;

const JEST_SHAPE_CONFIG = (environment) => `// TRACE_OUT switches the reporter on; TRACE_DETAIL picks the detail level.
const reporters = ['default'];
if (process.env.TRACE_OUT) reporters.push(['@testtrace/jest', { output: process.env.TRACE_OUT, detail: process.env.TRACE_DETAIL || 'default' }]);
// the adapter is linked from this repository's packages/: keep babel-jest off it (bench/lib/suite-configs.mjs)
module.exports = { testEnvironment: '${environment}', reporters, testMatch: ['<rootDir>/tests/*.test.js'], transformIgnorePatterns: ['/node_modules/', '/packages/(core|jest)/dist/'] };
`;

/**
 * The directory of `shape` for `runner`, generated on first use and again whenever this file
 * changes (a hash of it is kept beside the suite).
 */
export function shapeSuite(root, shape, runner) {
  if (!GENERATORS[shape]) throw new Error(`unknown shape ${shape}: expected one of ${SHAPES.join(', ')}`);
  const dir = path.join(root, 'bench/fixtures/shapes', shape, runner);
  const stamp = path.join(dir, '.generated');
  const hash = createHash('sha1').update(fs.readFileSync(new URL(import.meta.url))).update(fs.readFileSync(new URL('./module-flavours.mjs', import.meta.url)))
    .update(fs.readFileSync(new URL('../../test/fixtures/child-processes/tests/run-node.js', import.meta.url))).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const environment = shape === 'jsdom' ? 'jsdom' : 'node';
  const files = {
    ...GENERATORS[shape](runner),
    'package.json': JSON.stringify({ name: `bench-shape-${shape}-${runner}`, private: true, type: runner === 'vitest' ? 'module' : 'commonjs' }, null, 2) + '\n',
    [runner === 'vitest' ? 'vitest.config.mjs' : 'jest.config.js']: runner === 'vitest' ? VITEST_SHAPE_CONFIG(environment) : JEST_SHAPE_CONFIG(environment),
  };
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.writeFileSync(stamp, hash);
  return dir;
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}
