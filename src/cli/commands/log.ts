// `understudy log [-f] [--json] [--since …] [--file PATH]`: the daemon's log as readable lines.
// The daemon writes pino JSON lines to stdout; the service manager keeps them: journald for the
// systemd user unit (journalctl --user -u understudy -o cat), the files the launchd plist names
// (StandardOutPath ~/Library/Logs/understudy.log, StandardErrorPath understudy.err.log).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { assertReadableFile } from '../input-file.js';
import { parseLogLine, parseSince } from '../log-lines.js';

interface LogOptions {
  follow?: boolean;
  json?: boolean;
  since?: string;
  file?: string;
}

/**
 * Prints one captured line as asked, unless it is older than `since`. A line that is not a record
 * (a stack trace) goes with the record before it: shown when that one was.
 */
function printer(opts: LogOptions, since: number | null): ((line: string) => void) & { shown: number } {
  let showing = since === null;
  const print = Object.assign(
    (line: string) => {
      if (!line.trim()) return;
      const parsed = parseLogLine(line);
      if (parsed.time !== null) showing = since === null || parsed.time >= since;
      if (!showing) return;
      process.stdout.write(`${opts.json ? line : parsed.text}\n`);
      print.shown++;
    },
    { shown: 0 },
  );
  return print;
}

/** The summary on stderr (stdout stays the log itself, for pipes). */
function summary(shown: number, source: string): void {
  process.stderr.write(
    shown
      ? `${shown} line${shown === 1 ? '' : 's'} from ${source}\n`
      : `no log lines from ${source}${source.startsWith('journald') ? ' (is the service installed? understudy service status)' : ''}\n`,
  );
}

/** The launchd agent's log files (systemd/com.understudy.daemon.plist.in), those that exist. */
function launchdLogFiles(): string[] {
  const dir = join(homedir(), 'Library', 'Logs');
  return ['understudy.log', 'understudy.err.log'].map((f) => join(dir, f)).filter((f) => existsSync(f));
}

/** Prints a file's lines, then (follow) what is appended to it, until Ctrl-C. */
async function readFileLog(file: string, print: (line: string) => void, follow: boolean): Promise<void> {
  let offset = 0;
  let rest = '';
  const readMore = () => {
    const size = statSync(file).size;
    if (size < offset) offset = 0; // rotated or truncated: start over
    if (size === offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const lines = (rest + buf.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) print(line);
    } finally {
      closeSync(fd);
    }
  };
  readMore();
  if (!follow) {
    if (rest) print(rest);
    return;
  }
  // fs.watchFile polls: it works on every file system and survives the file being replaced.
  await new Promise<void>((done) => {
    watchFile(file, { interval: 500 }, readMore);
    process.once('SIGINT', () => {
      unwatchFile(file);
      done();
    });
  });
}

/** journalctl for the systemd user unit; resolves with its exit code. */
function readJournal(opts: LogOptions, since: number | null, print: (line: string) => void): Promise<number> {
  const args = ['--user', '-u', 'understudy', '-o', 'cat', '--no-pager'];
  if (since !== null) args.push('--since', `@${Math.floor(since / 1000)}`);
  if (opts.follow) args.push('-f');
  return new Promise((done) => {
    const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', (err) => {
      process.stderr.write(`understudy: could not run journalctl: ${err.message}\n`);
      done(EXIT.UNAVAILABLE);
    });
    createInterface({ input: child.stdout }).on('line', print);
    child.on('close', (code) => done(code ?? EXIT.OK));
  });
}

export function registerLog(program: Command): void {
  program
    .command('log')
    .summary('the daemon’s log as readable lines (journald or the launchd log file)')
    .description(
      'Shows what the service logged, one line per record: time, level, the part of the daemon, the\n' +
        'message and its fields (key=value). On Linux it reads journald (journalctl --user -u\n' +
        'understudy), on macOS ~/Library/Logs/understudy.log and understudy.err.log; --file reads any\n' +
        'file of the daemon’s JSON lines (understudy daemon > file).',
    )
    .option('-f, --follow', 'keep printing new lines as they come (Ctrl-C stops)')
    .option('--json', 'print the JSON records as they are')
    .option('--since <when>', 'only newer lines: 10m, 2h, 3 days, or a date (2026-11-29 08:00)')
    .option('--file <path>', 'read this file of JSON lines instead of journald / launchd')
    .addHelpText(
      'after',
      '\nExit codes: 0 shown, 1 no log found (the service is not installed?), 64 bad --since,\n' +
        '66 the --file cannot be read (no such file, a folder, permissions), 69 journalctl failed.',
    )
    .action(async (opts: LogOptions) => {
      const since = opts.since === undefined ? null : parseSince(opts.since);
      if (opts.since !== undefined && since === null)
        throw new CliError(
          `--since ${opts.since} is not a time: use 10m, 2h, 3 days, or a date such as 2026-11-29 08:00`,
          'BAD_ARGUMENT',
          EXIT.USAGE,
        );
      const print = printer(opts, since);
      if (opts.file) {
        // A missing or unreadable file is sysexits' EX_NOINPUT (66), as for every input file.
        assertReadableFile(opts.file, 'the log file', '--file');
        await readFileLog(opts.file, print, Boolean(opts.follow));
        summary(print.shown, opts.file);
        return;
      }
      if (process.platform === 'darwin') {
        const files = launchdLogFiles();
        if (!files.length)
          throw new CliError(
            'no log in ~/Library/Logs/understudy.log: the service has not run yet (understudy service install)',
            'LOG_NOT_FOUND',
            EXIT.FAILURE,
          );
        // Following two files at once would interleave them arbitrarily: -f follows the main log.
        for (const f of opts.follow ? files.slice(1) : files) await readFileLog(f, print, false);
        if (opts.follow) await readFileLog(files[0] as string, print, true);
        summary(print.shown, files.join(' and '));
        return;
      }
      if (spawnSync('journalctl', ['--version'], { stdio: 'ignore' }).status !== 0)
        throw new CliError(
          'journalctl is not available here, so the service’s log cannot be read; run understudy daemon in a terminal (readable lines), or point --file at a file of its JSON lines',
          'LOG_NOT_FOUND',
          EXIT.FAILURE,
        );
      const code = await readJournal(opts, since, print);
      summary(print.shown, 'journald (journalctl --user -u understudy)');
      if (code !== 0 && code !== 130)
        throw new CliError(`journalctl exited with ${code} (see above)`, 'LOG_JOURNAL_FAILED', EXIT.UNAVAILABLE);
    });
}
