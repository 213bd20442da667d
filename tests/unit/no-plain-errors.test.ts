// Every error Understudy throws on purpose is an UnderstudyError (src/errors.ts: code, kind, fix,
// cause), so the CLI and the daemon can map it to an exit code and a fix. This walks src/ and
// daemon/ and fails on a plain `throw new Error(` (or `throw Error(`, `reject(new Error(`, a
// TypeError or RangeError), except where a comment `// assert: WHY` on that line or the line
// above marks a programming error: a state the code itself rules out (an INSERT … RETURNING that
// returned nothing), never bad input.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
// Error and the built-in kinds of it (TypeError, RangeError…): none has a code, a kind or a fix.
const PLAIN = /\bthrow\s+(new\s+)?(Type|Range|Syntax)?Error\s*\(|\breject\(\s*new\s+(Type|Range|Syntax)?Error\s*\(/;
const MARKER = /\/\/\s*assert:\s*\S/;
/** Programming-error assertions are rare by design; raise this only with a reason in review. */
const MAX_ASSERTIONS = 12;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Lines of `text` that throw a plain Error, and those marked as assertions. */
function plainThrows(text: string): { unmarked: number[]; marked: number[] } {
  const lines = text.split('\n');
  const unmarked: number[] = [];
  const marked: number[] = [];
  lines.forEach((line, i) => {
    if (line.trimStart().startsWith('//') || line.trimStart().startsWith('*') || !PLAIN.test(line)) return;
    if (MARKER.test(line) || MARKER.test(lines[i - 1] ?? '')) marked.push(i + 1);
    else unmarked.push(i + 1);
  });
  return { unmarked, marked };
}

describe('errors thrown on purpose are UnderstudyErrors', () => {
  it('the detector finds a plain throw and accepts a marked one', () => {
    const sample = [
      "if (!row) throw new Error('could not record the run');",
      '// assert: INSERT … RETURNING always returns the row',
      "if (!row) throw new Error('could not record the run');",
      "child.on('error', (e) => reject(new Error(e.message)));",
      "throw Error('x'); // assert: unreachable, every kind is handled above",
      "throw new UnderstudyError('X', 'final', 'x');",
      "if (n < 1) throw new RangeError('n must be positive');",
      "// throw new Error('in a comment')",
    ].join('\n');
    expect(plainThrows(sample)).toEqual({ unmarked: [1, 4, 7], marked: [3, 5] });
  });

  it('src/ and daemon/ throw no plain Error except marked assertions', () => {
    const found: string[] = [];
    const assertions: string[] = [];
    let files = 0;
    for (const dir of ['src', 'daemon']) {
      for (const file of sourceFiles(join(ROOT, dir))) {
        files++;
        const { unmarked, marked } = plainThrows(readFileSync(file, 'utf8'));
        const name = relative(ROOT, file);
        found.push(...unmarked.map((n) => `${name}:${n}`));
        assertions.push(...marked.map((n) => `${name}:${n}`));
      }
    }
    console.log(`${files} files; assertions (// assert:): ${assertions.join(', ') || 'none'}`);
    expect(
      found,
      'throw an UnderstudyError (src/errors.ts) with a code, kind and fix, or mark a true programming error with // assert: WHY',
    ).toEqual([]);
    expect(assertions.length).toBeLessThanOrEqual(MAX_ASSERTIONS);
  });
});
