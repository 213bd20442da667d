#!/usr/bin/env node
// Entry point: runs the bundled CLI (built by `npm run build`, which `npm ci` runs via prepare).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/understudy.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('understudy: not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(70);
}
// Stack traces point into src/ rather than the bundle, where a stack can be seen: the CLI prints
// one only with --log-level debug or trace (src/cli/errors.ts), the daemon logs them. Reading the
// source maps costs every start ~10 % of a no-change `understudy sync`, so other runs skip it.
const args = process.argv.slice(2);
const level = args.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
const debug = level >= 0 && /(^|=)(debug|trace)$/.test(args[level].includes('=') ? args[level] : `=${args[level + 1]}`);
if (debug || args.includes('daemon')) process.setSourceMapsEnabled(true);
const { main } = await import(entry.href);
await main(process.argv);
