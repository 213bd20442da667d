#!/usr/bin/env node
// Entry point: runs the bundled CLI (built by `npm run build`, which `npm ci` runs via prepare).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/understudy.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('understudy: not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(70);
}
// Stack traces point into src/ rather than the bundle.
process.setSourceMapsEnabled(true);
const { main } = await import(entry.href);
await main(process.argv);
