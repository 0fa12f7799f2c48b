// The small bench suite (bench/fixtures/jest-suite, vitest-suite): 60 test files over a small
// library, a mix of synchronous logic, async I/O-like waits, promise chains, allocation, JSON and
// mocks, written as ES modules for Vitest or as CommonJS for Jest from one description.
import fs from 'node:fs';
import path from 'node:path';
import { moduleSource } from './module-flavours.mjs';
import { JEST_CONFIG, VITEST_CONFIG } from './suite-configs.mjs';

const FILES = 60;

/** The library, as ES modules (bench/lib/module-flavours.mjs writes the CommonJS for Jest). */
const LIB = {
  'money.js': `export const add = (a, b) => Math.round((a + b) * 100) / 100;
export const format = (n, cur = 'EUR') => new Intl.NumberFormat('en', { style: 'currency', currency: cur }).format(n);
export const split = (total, parts) => { const base = Math.floor((total * 100) / parts) / 100; const out = Array(parts).fill(base); out[0] = add(out[0], total - base * parts); return out; };`,
  'store.js': `export class Store { constructor() { this.items = new Map(); this.listeners = []; }
  set(k, v) { this.items.set(k, v); for (const l of this.listeners) l(k, v); }
  get(k) { return this.items.get(k); }
  subscribe(fn) { this.listeners.push(fn); return () => { this.listeners = this.listeners.filter((l) => l !== fn); }; }
  async load(keys) { const out = {}; for (const k of keys) { await new Promise((r) => setImmediate(r)); out[k] = this.get(k); } return out; } }`,
  'text.js': `export const slug = (s) => s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
export const wrap = (s, width) => { const words = s.split(/\\s+/); const lines = []; let line = ''; for (const w of words) { if ((line + ' ' + w).trim().length > width) { lines.push(line.trim()); line = w; } else line += ' ' + w; } if (line.trim()) lines.push(line.trim()); return lines; };
export const count = (s) => s.split(/\\s+/).filter(Boolean).reduce((m, w) => m.set(w, (m.get(w) || 0) + 1), new Map());`,
  'api.js': `export const fetchUser = async (id, delay = 1) => { await new Promise((r) => setTimeout(r, delay)); return { id, name: 'user' + id, roles: id % 2 ? ['admin'] : ['user'] }; };
export const fetchAll = (ids) => Promise.all(ids.map((id) => fetchUser(id, id % 3)));
export const retry = async (fn, times) => { let last; for (let i = 0; i < times; i++) { try { return await fn(i); } catch (e) { last = e; } } throw last; };`,
};

/** What every test file imports. */
const TEST_IMPORTS = [['* as money', '../src/money.js'], ['{ Store }', '../src/store.js'], ['* as text', '../src/text.js'], ['* as api', '../src/api.js']];

/** Writes the suite into `dir`: `jest` as CommonJS with jest.config.js, `vitest` as ES modules with vitest.config.mjs. */
export function writeSmallSuite(dir, runner) {
  const esm = runner === 'vitest';
  const mock = esm ? 'vi' : 'jest';
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `bench-${runner}-suite`, private: true, type: esm ? 'module' : 'commonjs' }, null, 2) + '\n');
  if (esm) fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), VITEST_CONFIG);
  else fs.writeFileSync(path.join(dir, 'jest.config.js'), JEST_CONFIG);

  for (const [name, body] of Object.entries(LIB)) fs.writeFileSync(path.join(dir, 'src', name), moduleSource(runner, [], body));

  for (let i = 0; i < FILES; i++) {
    const n = String(i).padStart(2, '0');
    const kind = i % 4;
    const body = [];
    body.push(`describe('module ${n}', () => {\n  let store;\n  beforeEach(() => { store = new Store(); for (let k = 0; k < 50; k++) store.set('k' + k, k * ${i + 1}); });\n  afterEach(() => { store = undefined; });\n`);
    for (let t = 0; t < 10; t++) {
      const v = (i * 10 + t) % 7;
      if (v === 0) body.push(`  test('money ${t}', () => {\n    expect(money.split(${100 + t}, ${3 + (t % 4)}).reduce(money.add, 0)).toBeCloseTo(${100 + t});\n    expect(money.format(${t}.5)).toContain('${t}.50');\n  });\n`);
      else if (v === 1) body.push(`  test('store ${t}', async () => {\n    const seen = [];\n    const off = store.subscribe((k) => seen.push(k));\n    store.set('x${t}', ${t});\n    off();\n    const got = await store.load(['k1', 'k2', 'x${t}']);\n    expect(got.x${t}).toBe(${t});\n    expect(seen).toEqual(['x${t}']);\n  });\n`);
      else if (v === 2) body.push(`  test('text ${t}', () => {\n    const s = 'The quick brown fox ${t} jumps over the lazy dog '.repeat(${20 + t});\n    expect(text.wrap(s, 40).every((l) => l.length <= 40)).toBe(true);\n    expect(text.count(s).get('fox')).toBe(${20 + t});\n    expect(text.slug('Hello World ${t}!')).toBe('hello-world-${t}');\n  });\n`);
      else if (v === 3) body.push(`  test('api ${t}', async () => {\n    const users = await api.fetchAll([${t}, ${t + 1}, ${t + 2}]);\n    expect(users.map((u) => u.id)).toEqual([${t}, ${t + 1}, ${t + 2}]);\n  });\n`);
      else if (v === 4) body.push(`  test('mock ${t}', async () => {\n    const fn = ${mock}.fn().mockRejectedValueOnce(new Error('nope')).mockResolvedValue(${t});\n    await expect(api.retry(fn, 3)).resolves.toBe(${t});\n    expect(fn).toHaveBeenCalledTimes(2);\n  });\n`);
      else if (v === 5) body.push(`  test('json ${t}', () => {\n    const data = Array.from({ length: ${200 + t * 20} }, (_, j) => ({ id: j, name: 'item' + j, tags: ['a', 'b', String(j % 5)] }));\n    const round = JSON.parse(JSON.stringify(data));\n    expect(round).toEqual(data);\n    expect(round.filter((d) => d.tags[2] === '0').length).toBe(${Math.ceil((200 + t * 20) / 5)});\n  });\n`);
      else body.push(`  test('snapshot-ish ${t}', () => {\n    const obj = { id: ${t}, nested: { list: [1, 2, 3].map((x) => x * ${t}), when: 'fixed' } };\n    expect(obj).toMatchObject({ id: ${t}, nested: { when: 'fixed' } });\n    expect(store.get('k10')).toBe(${10 * (i + 1)});\n  });\n`);
    }
    if (kind === 3) body.push(`  test.each([1, 2, 3, 4])('each %i', async (x) => {\n    await new Promise((r) => setTimeout(r, x));\n    expect(x).toBeGreaterThan(0);\n  });\n`);
    body.push('});\n');
    fs.writeFileSync(path.join(dir, 'tests', `m${n}.test.js`), moduleSource(runner, TEST_IMPORTS, body.join('')));
  }
  console.log(`generated ${FILES} test files in ${dir}`);
}
