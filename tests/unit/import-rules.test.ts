// The folder table of docs/ARCHITECTURE.md is a rule, not a wish: dependency-cruiser checks every
// import of src/ and daemon/ against .dependency-cruiser.cjs (the same check `npm run lint` runs),
// so CI fails on an import the table forbids or on an import cycle. To change a rule, change the
// table and the config together.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

describe('import rules (docs/ARCHITECTURE.md)', () => {
  it('src/ and daemon/ break none of the folder rules and have no import cycle', () => {
    const bin = resolve(ROOT, 'node_modules/.bin/depcruise');
    const r = spawnSync(bin, ['src', 'daemon', '--config', '.dependency-cruiser.cjs', '-T', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(r.error).toBeUndefined();
    const result = JSON.parse(r.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
    // A config that matched no file would pass vacuously: the cruise must have seen the code.
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    const broken = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(broken).toEqual([]);
  });
});
