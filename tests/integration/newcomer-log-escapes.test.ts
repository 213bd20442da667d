// Text from mail, servers and files on a newcomer's terminal: `log` (whose `--file` reads any file),
// `dataset show` and `draft --dry-run` show a sender's control characters as \xHH, never play them
// as escape sequences; `--json` keeps the raw text. Against the built CLI and the real Dovecot.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseLogLine } from '../../src/cli/log-lines.js';
import { printable } from '../../src/cli/printable.js';
import { newAccount, runCli } from '../helpers/account.js';
import { appendMessages } from '../helpers/mail.js';

const server = inject('dovecot');

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

  it("dataset show and draft --dry-run: a sender's escape sequences are shown, not played", async () => {
    const account = newAccount(server);
    const address = `${account.user}@example.test`;
    const now = new Date().toUTCString();
    const incoming = (id: string, subject: string) =>
      `From: Evil \u001b]0;pwned\u0007 <evil@x.example>\r\nTo: ${address}\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${id}@x.example>\r\nDate: ${now}\r\n\r\nHello \u001b[31mred\u001b[0m, can you come?\r\n`;
    const reply =
      `From: Me <${address}>\r\nTo: evil@x.example\r\nSubject: Re: first \u001b[2J\r\n` +
      `Message-ID: <r1@example.test>\r\nIn-Reply-To: <e1@x.example>\r\nDate: ${now}\r\n\r\n` +
      'Sure \u001b[5mblink\u001b[0m, see you.\r\n\r\nMe\r\n';
    const client = await account.client();
    try {
      await appendMessages(
        client,
        'INBOX',
        [incoming('e1', 'first \u001b[2J'), incoming('e2', 'second \u001b[2J')],
        [],
      );
      await appendMessages(client, 'Sent', [reply]);
    } finally {
      await client.logout();
    }
    const config = ['--config', account.configFile];
    expect((await runCli([...config, 'sync', '-q'])).code).toBe(0);
    expect((await runCli([...config, 'dataset', 'build'])).code).toBe(0);
    const show = await runCli([...config, 'dataset', 'show', '--sample', '0']);
    expect(show.code, show.stderr).toBe(0);
    // Bodies are cleaned without their escape sequences (src/mail/text-controls.ts: they are not words and must
    // not reach training); the subject, shown as it was sent, is made printable.
    expect(show.stdout).toContain('Hello red, can you come?');
    expect(show.stdout).toContain('\\x1b[2J');
    expect(show.stdout).not.toMatch(CONTROL);
    const json = await runCli([...config, 'dataset', 'show', '--sample', '0', '--json']);
    const pair = JSON.parse(json.stdout).pairs[0];
    expect(pair.incoming.body).toBe('Hello red, can you come?');
    expect(pair.reply).toBe('Sure blink, see you.\n\nMe');
    const dry = await runCli([...config, 'draft', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('\\x1b');
    expect(dry.stdout).not.toMatch(CONTROL);
  });
});
