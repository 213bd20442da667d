// A newcomer's script parsing `--json`: every failure carries README's common error object
// (`ok: false`, `error: {code, kind, message, fix, exitCode}`), also where a command writes JSON of
// its own (sync's per-account results, mail reply-text's per-file lines) and for a bad command line.
// Against the built CLI and the real Dovecot.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';

const server = inject('dovecot');

/** README's error object: every member there, the fix apart from the message. */
function expectCommonError(error: unknown, code: string, kind: string, exitCode: number): void {
  expect(error).toMatchObject({ code, kind, exitCode });
  const e = error as { message: string; fix: string };
  expect(typeof e.message).toBe('string');
  expect(e.message).not.toMatch(/\n\s*fix:/);
  expect(e.fix.length).toBeGreaterThan(0);
}

describe('--json failures carry the common error object', () => {
  it('sync --json with a refused login: ok false and the error beside the per-account result, exit 77', async () => {
    const account = newAccount(server);
    account.writeConfig({ password: 'not-the-password' });
    const r = await runCli(['--config', account.configFile, 'sync', '--json']);
    expect(r.code, r.stderr).toBe(77);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expectCommonError(out.error, 'AUTH_FAILED', 'auth', 77);
    expect(out.accounts).toHaveLength(1);
    expectCommonError(out.accounts[0].error, 'AUTH_FAILED', 'auth', 77);
  });

  it('sync --json to a closed port: ok false, a temporary error, exit 75', async () => {
    const account = newAccount(server);
    account.writeConfig({ port: 1 });
    const r = await runCli(['--config', account.configFile, 'sync', '--json']);
    expect(r.code, r.stderr).toBe(75);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expectCommonError(out.error, 'CONNECT_FAILED', 'temporary', 75);
  });

  it('sync --json that works has no ok:false and no error', async () => {
    const account = newAccount(server);
    const r = await runCli(['--config', account.configFile, 'sync', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBeUndefined();
    expect(out.error).toBeUndefined();
    expect(out.accounts[0].account).toBe('test');
  });

  it('a bad option or command with --json: kind usage and a fix naming --help, exit 64', async () => {
    for (const args of [
      ['sync', '--json', '--no-such-option'],
      ['dataset', 'show', '--json', '--sample', '1', '--bogus'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(64);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      expectCommonError(out.error, 'USAGE', 'usage', 64);
      expect(out.error.fix).toMatch(/--help/);
    }
  });

  it('mail reply-text --json: each failed file is one line with ok false and the common error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-envelope-'));
    const bad = join(dir, 'not-a-message.eml');
    writeFileSync(bad, 'just some words\n');
    const good = join(dir, 'good.eml');
    writeFileSync(good, 'From: a@example.org\r\nSubject: hi\r\n\r\nHello there.\r\n');
    const r = await runCli(['mail', 'reply-text', '--json', good, join(dir, 'missing.eml'), bad]);
    expect(r.code).toBe(65);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ file: good, reply: 'Hello there.' });
    expect(lines[1]).toMatchObject({ file: join(dir, 'missing.eml'), ok: false });
    expectCommonError(lines[1].error, 'INPUT_NOT_FOUND', 'final', 66);
    expect(lines[2]).toMatchObject({ file: bad, ok: false });
    expect(lines[2].error.exitCode).toBe(65);
    expect(lines[2].error.fix).toMatch(/--text|--html/);
  });
});
