// One module source, written for Vitest (ES modules) or for Jest (CommonJS): the bench suites'
// generators describe each module once.

/**
 * A module's text: `imports` as [binding, specifier] pairs (binding `{ a, b }` or `* as x`), then
 * `body` in ES module syntax (`export class|function|const|async function NAME`). `jest` turns it
 * into CommonJS: requires without the `.js` of relative specifiers, and `module.exports` of every
 * exported name.
 */
export function moduleSource(runner, imports, body) {
  const header = (lines) => (lines.length > 0 ? `${lines.join('\n')}\n\n` : '');
  if (runner === 'vitest') return header(imports.map(([binding, spec]) => `import ${binding} from '${spec}';`)) + body + '\n';
  const requires = imports.map(([binding, spec]) => {
    const target = spec.startsWith('.') ? spec.replace(/\.js$/, '') : spec;
    return `const ${binding.startsWith('* as ') ? binding.slice(5) : binding} = require('${target}');`;
  });
  const exported = [];
  const code = body.replace(/^export (class|function|const|async function) (\w+)/gm, (_, kind, name) => {
    exported.push(name);
    return `${kind} ${name}`;
  });
  const tail = exported.length > 0 ? `\nmodule.exports = { ${exported.join(', ')} };\n` : '\n';
  return header(requires) + code + tail;
}
