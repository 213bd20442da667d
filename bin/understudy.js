#!/usr/bin/env node
// Entry point: dispatches `understudy [options] daemon` to the daemon's own bundle (dist/daemon.js,
// from daemon/entry.ts) and everything else, the daemon's --help included, to the CLI
// (dist/understudy.js). Both are built by `npm run build`, which `npm ci` runs via prepare; the
// CLI never imports the daemon.
import { existsSync } from 'node:fs';

const cliEntry = new URL('../dist/understudy.js', import.meta.url);
const daemonEntry = new URL('../dist/daemon.js', import.meta.url);
if (!existsSync(cliEntry) || !existsSync(daemonEntry)) {
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
const cli = await import(cliEntry.href);
// The CLI's own reading of which word is the command (global options take values: -c FILE).
const helpOrVersion = args.some((a) => ['-h', '--help', '-V', '--version'].includes(a));
const { main } = cli.commandName(args) === 'daemon' && !helpOrVersion ? await import(daemonEntry.href) : cli;
await main(process.argv);
