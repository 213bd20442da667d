// Every IMAP connection and child process the project creates (src/, daemon/, bench/, the test
// helpers, scripts/) has an 'error' listener: an EventEmitter that emits 'error' with nobody
// listening kills Node ("Unhandled 'error' event"), as an idle ImapFlow's socket timeout did in
// bench:daemon while training ran. The scan is textual: each `new ImapFlow(` / `spawn(` / `fork(`
// must be assigned to a name, and `name.on('error'` (or `.once('error'`) must follow within the
// same block. It fails with the file and line of each one that has none.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FOLDERS = ['src', 'daemon', 'bench', 'tests/helpers', 'scripts'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The text from `from` to the end of the enclosing block (where the brace depth goes below 0). */
function restOfBlock(text: string, from: number): string {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return text.slice(from, i);
  }
  return text.slice(from);
}

interface Missing {
  file: string;
  line: number;
  what: string;
}

/** The emitters created in `text` without an 'error' listener (see the header). */
function missingErrorListeners(text: string, file: string): Missing[] {
  const missing: Missing[] = [];
  const creations = /\bnew ImapFlow\(|(?<![.\w])(?:spawn|fork)\(/g;
  for (let m = creations.exec(text); m; m = creations.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 200), m.index);
    const line = text.slice(0, m.index).split('\n').length;
    // Skip declarations and imports of the names themselves.
    if (/(function\s+|import\s*\{[^}]*|\bas\s+)$/.test(before)) continue;
    const name = /(?:(?:const|let|var)\s+)?([\w$.]+)\s*(?::\s*[\w<>[\]|. ]+)?\s*=\s*(?:await\s+)?$/.exec(before)?.[1];
    const what = m[0].replace('(', '');
    if (!name) {
      missing.push({ file, line, what: `${what} not assigned to a name (so no 'error' listener can be attached)` });
      continue;
    }
    const escaped = name.replace(/[$.]/g, '\\$&');
    const listener = new RegExp(`${escaped}\\??\\.(on|once)\\(\\s*['"]error['"]`);
    if (!listener.test(restOfBlock(text, m.index))) missing.push({ file, line, what: `${what} assigned to ${name}` });
  }
  return missing;
}

describe("'error' listeners", () => {
  it('the scanner finds a missing listener and accepts a present one', () => {
    const bad = 'async function f() {\n  const c = new ImapFlow({ host });\n  await c.connect();\n}\n';
    const good = "async function f() {\n  const c = new ImapFlow({ host });\n  c.on('error', () => {});\n}\n";
    const child = "function g() {\n  const child = spawn('x', []);\n  child.once('error', (e) => reject(e));\n}\n";
    const inline = "function h() {\n  return spawn('x', []);\n}\n";
    expect(missingErrorListeners(bad, 'bad.ts')).toEqual([
      { file: 'bad.ts', line: 2, what: 'new ImapFlow assigned to c' },
    ]);
    expect(missingErrorListeners(good, 'good.ts')).toEqual([]);
    expect(missingErrorListeners(child, 'child.ts')).toEqual([]);
    expect(missingErrorListeners(inline, 'inline.ts')).toHaveLength(1);
  });

  it('every ImapFlow and child process in src/, daemon/, bench/, tests/helpers/ and scripts/ has one', () => {
    const files = FOLDERS.flatMap((f) => sources(join(ROOT, f)));
    const missing = files.flatMap((f) => missingErrorListeners(readFileSync(f, 'utf8'), relative(ROOT, f)));
    const count = files.reduce(
      (n, f) => n + (readFileSync(f, 'utf8').match(/\bnew ImapFlow\(|(?<![.\w])(?:spawn|fork)\(/g)?.length ?? 0),
      0,
    );
    console.log(`${files.length} files, ${count} creations scanned; missing: ${missing.length}`);
    expect(missing.map((m) => `${m.file}:${m.line}: ${m.what}`)).toEqual([]);
  });
});
