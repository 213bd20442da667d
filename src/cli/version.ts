// The installed Understudy's version, for `understudy --version`: read from package.json at run
// time (one file read, only when asked) rather than baked in, so a rebuilt checkout never lies.
import { readFileSync } from 'node:fs';

/**
 * The `version` field of Understudy's package.json, found next to the running code: the bundle
 * lives in dist/ (../package.json), the sources in src/cli/ (../../package.json).
 * @returns the version string, or "unknown" when no package.json named "understudy" is found.
 */
export function understudyVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'understudy' && pkg.version) return pkg.version;
    } catch {
      // not at this level: try the next one
    }
  }
  return 'unknown';
}
