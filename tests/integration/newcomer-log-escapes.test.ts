// `understudy log` shows text from mail and servers, and `--file` reads any file: a newcomer who
// pointed it at the wrong file (or a log line carrying a hostile subject) must not have escape
// sequences played on their terminal. The readable lines write control characters as \xHH;
// `--json` keeps the raw lines. Against the built CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLogLine, printable } from '../../src/cli/log-lines.js';
import { runCli } from '../helpers/account.js';

/** Any C0 control but tab and newline, DEL, or a C1 control. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('log: control characters never reach the terminal', () => {
  it('printable writes controls as \\xHH and keeps tabs, newlines and non-ASCII letters', () => {
    expect(printable('a\u001b]0;pwned\u0007b')).toBe('a\\x1b]0;pwned\\x07b');
    expect(printable('tab\tand\nnewline Ünïcödé 回复')).toBe('tab\tand\nnewline Ünïcödé 回复');
    expect(printable('carriage\rreturn \u009b31m')).toBe('carriage\\x0dreturn \\x9b31m');
    const record = JSON.stringify({ level: 30, time: 0, msg: 'new mail', subject: 'hi\u001b[2J' });
    expect(parseLogLine(record).text).not.toMatch(CONTROL);
  });

  it('log --file of a file with escape sequences: readable lines without them, --json as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-log-'));
    const file = join(dir, 'wrong.log');
    const record = JSON.stringify({ level: 40, time: Date.now(), msg: 'odd folder \u001b[31mred', account: 'w' });
    writeFileSync(file, `plain \u001b]0;title\u0007 line\n${record}\nbinary \u0000\u0001\u009b end\n`);
    const r = await runCli(['log', '--file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stdout).toContain('plain \\x1b]0;title\\x07 line');
    const raw = await runCli(['log', '--file', file, '--json']);
    expect(raw.stdout).toContain('\u001b]0;title\u0007');
  });
});
