// The Python trainer's annotations are checked, not decorative: pyright (pyrightconfig.json, basic
// mode) runs over models/ against the PyTorch the worker runs with, as `npm run lint` does, so CI
// fails on a type error in the trainer as it does on one in src/.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the Python trainer type-checks (pyright)', () => {
  it('models/ has no pyright error against the worker’s PyTorch', () => {
    const r = spawnSync(process.execPath, ['scripts/pyright.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    process.stdout.write(`${out.trim().split('\n').slice(-2).join('\n')}\n`);
    // The summary line proves pyright ran over files (an empty run prints no error count).
    expect(out).toMatch(/\b0 errors\b/);
    expect(out).not.toMatch(/No source files found|0 files/i);
    expect(r.status).toBe(0);
  });
});
