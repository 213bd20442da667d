// Prints the code's shape as one JSON line: files and lines per top folder, the longest functions
// (TypeScript via swc's parser, Python via its own ast module), and the import-rule violations and
// cycles dependency-cruiser finds with .dependency-cruiser.cjs. Used to show a restructure's
// before/after; not a test (nothing here has a pass mark except the lint rules themselves).
//   node scripts/structure.mjs [--top N]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseSync } from '@swc/core';

const ROOT = new URL('..', import.meta.url).pathname;
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 10;

function walk(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'tests' || name === '__pycache__' ? [] : walk(path, ext);
    return path.endsWith(ext) && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Line number (1-based) of a byte offset in text. */
function lineOf(starts, offset) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Every function-like node of a TypeScript file with its name and length in lines. */
function tsFunctions(file) {
  const text = readFileSync(file, 'utf8');
  const bytes = Buffer.from(text);
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  const ast = parseSync(text, { syntax: 'typescript', comments: false });
  // swc's spans are offsets in a source map shared by every parse of the process: make them local.
  const base = ast.span.start - (text.length - text.trimStart().length);
  const out = [];
  const visit = (node, name) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, name);
      return;
    }
    let here = name;
    if (node.type === 'FunctionDeclaration') here = node.identifier?.value;
    else if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier') here = node.id.value;
    else if ((node.type === 'ClassMethod' || node.type === 'MethodProperty') && node.key?.value) here = node.key.value;
    const isFn = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod'].includes(
      node.type,
    );
    const span = node.type === 'ClassMethod' ? node.span : (node.body?.span ?? node.span);
    if (isFn && span) {
      const lines = lineOf(starts, span.end - base) - lineOf(starts, span.start - base) + 1;
      out.push({ name: here ?? '(anonymous)', file: relative(ROOT, file), lines });
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'span') visit(value, here);
  };
  visit(ast.body, undefined);
  return out;
}

/** Every def of the Python files with its length in lines (ast's end_lineno). */
function pyFunctions(files) {
  if (files.length === 0) return [];
  const script = `
import ast, json, sys
out = []
for f in sys.argv[1:]:
    tree = ast.parse(open(f, encoding='utf-8').read())
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append({'name': n.name, 'file': f, 'lines': n.end_lineno - n.lineno + 1})
print(json.dumps(out))`;
  const r = spawnSync('python3', ['-c', script, ...files], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return JSON.parse(r.stdout).map((f) => ({ ...f, file: relative(ROOT, f.file) }));
}

function depcruise() {
  const config = join(ROOT, '.dependency-cruiser.cjs');
  if (!existsSync(config)) return { violations: null, cycles: null };
  let out;
  try {
    out = execFileSync('npx', ['depcruise', 'src', 'daemon', '--config', config, '-T', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    out = err.stdout; // depcruise exits non-zero when it finds violations; its JSON is still complete
  }
  const result = JSON.parse(out);
  const violations = result.summary.violations;
  return {
    violations: violations.filter((v) => v.rule.name !== 'no-circular').length,
    cycles: violations.filter((v) => v.rule.name === 'no-circular').length,
    rules_broken: [...new Set(violations.map((v) => v.rule.name))].sort(),
  };
}

const ts = [...walk(join(ROOT, 'src'), '.ts'), ...walk(join(ROOT, 'daemon'), '.ts')];
const py = walk(join(ROOT, 'models'), '.py');
const lines = (f) => readFileSync(f, 'utf8').split('\n').length;
const folders = {};
for (const f of [...ts, ...py]) {
  const rel = relative(ROOT, f).split('/');
  const key = rel[0] === 'src' || rel[0] === 'models' ? `${rel[0]}/${rel[1]}` : rel[0];
  folders[key] ??= { files: 0, lines: 0 };
  folders[key].files += 1;
  folders[key].lines += lines(f);
}
const fns = [...ts.flatMap(tsFunctions), ...pyFunctions(py)].sort((a, b) => b.lines - a.lines);
const line = {
  structure: true,
  ts_files: ts.length,
  py_files: py.length,
  longest_file: [...ts, ...py]
    .map((f) => ({ file: relative(ROOT, f), lines: lines(f) }))
    .sort((a, b) => b.lines - a.lines)[0],
  functions_over_80_lines: fns.filter((f) => f.lines > 80).length,
  longest_functions: fns.slice(0, top).map((f) => `${f.file}:${f.name} ${f.lines}`),
  ...depcruise(),
  folders,
};
process.stdout.write(`${JSON.stringify(line)}\n`);
