// The defects left from the last newcomer walk-through, each as a kind, against the built CLI and
// the real Dovecot: every --json command answers a failure with a JSON error object; init's TLS
// default follows the port; a sync stopped partway reports what it stored; a missing input file
// exits 66 (README's table); a tls/port mismatch is logged once with its fix, not on every retry.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { syncedLine } from '../../daemon/work.js';
import { buildProgram } from '../../src/cli/main.js';
import { syncAccount } from '../../src/imap/sync-account.js';
import { openStore } from '../../src/store/db.js';
import { CLI, newAccount, runCli } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
/** A line of a JavaScript stack trace ("    at fn (file:1:2)"). */
const STACK = /^\s+at .+[:(]/m;

interface JsonFailure {
  ok?: boolean;
  error?: { code?: unknown; message?: unknown; exitCode?: unknown };
}

/** Every command (by its words) that has a --json option, with placeholders for what it requires. */
function jsonCommands(program: Command): string[][] {
  const found: string[][] = [];
  const walk = (command: Command, words: string[]) => {
    for (const sub of command.commands) {
      const path = [...words, sub.name()];
      if (sub.options.some((o) => o.long === '--json')) {
        // Optional arguments too: `mail reply-text` without a file would wait for stdin.
        const args = sub.registeredArguments.map(() => 'placeholder');
        const required = sub.options.filter((o) => o.mandatory).flatMap((o) => [o.long ?? '', 'placeholder']);
        found.push([...path, ...args, ...required, '--json']);
      }
      walk(sub, path);
    }
  };
  walk(program, []);
  return found;
}

/** The JSON objects on stdout: one document, or one per line (JSON lines). */
function jsonObjects(stdout: string): JsonFailure[] {
  try {
    return [JSON.parse(stdout) as JsonFailure];
  } catch {
    return stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as JsonFailure);
  }
}

describe('--json failures print a JSON error object on stdout', () => {
  it('every command with --json, with no config file: the error as JSON, the message on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-leftovers-'));
    const missing = join(dir, 'no-such-config.toml');
    const commands = jsonCommands(await buildProgram());
    console.log(`--json commands: ${commands.map((c) => c.filter((w) => w !== '--json').join(' ')).join('; ')}`);
    // status, sync, config check, dataset …, model …, privacy …, pause, resume, report, draft,
    // train, log, mail reply-text, uninstall: at least these.
    expect(commands.length).toBeGreaterThanOrEqual(15);
    for (const words of commands) {
      const r = await runCli(['--config', missing, ...words], { HOME: dir, XDG_DATA_HOME: join(dir, 'data') });
      const what = `understudy ${words.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
      expect(r.stderr, what).not.toMatch(STACK);
      if (r.code === 0) continue; // needs no config (model presets)
      expect(r.stdout.trim(), what).not.toBe('');
      const objects = jsonObjects(r.stdout);
      const failure = objects.find((o) => o.error && typeof o.error.code === 'string');
      expect(failure, what).toBeDefined();
      expect(typeof failure?.error?.message, what).toBe('string');
      // The human message is on stderr too.
      expect(r.stderr, what).toMatch(/understudy: /);
      if (failure?.ok === false) expect(failure.error?.exitCode, what).toBe(r.code);
    }
  });

  it('status --json without a config file: CONFIG_NOT_FOUND, exit 78, the fix on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-leftovers-'));
    const r = await runCli(['--config', join(dir, 'nope.toml'), 'status', '--json']);
    expect(r.code).toBe(78);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ code: 'CONFIG_NOT_FOUND', kind: 'config', exitCode: 78 });
    expect(out.error.fix).toMatch(/understudy init/);
    // One line: a whole document alone, one more line after JSON lines (log --json).
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/fix: run `understudy init`/);
  });

  it('a bad option with --json: a USAGE error object, exit 64', async () => {
    const r = await runCli(['status', '--json', '--no-such-option']);
    expect(r.code).toBe(64);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'USAGE', exitCode: 64 });
    expect(r.stderr).toMatch(/unknown option/);
  });

  it('config check --json keeps its problems list and adds the common error object, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-leftovers-'));
    const file = join(dir, 'bad.toml');
    writeFileSync(file, 'log_level = "chatty"\n', { mode: 0o600 });
    const r = await runCli(['--config', file, 'config', 'check', '--json']);
    expect(r.code).toBe(78);
    const out = JSON.parse(r.stdout); // one document: no second object after it
    expect(out.valid).toBe(false);
    expect(out.problems.length).toBeGreaterThan(0);
    expect(out.error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 78 });
  });

  it('draft --json names an account that failed as a whole (login refused) in the JSON, not only on stderr', async () => {
    const account = newAccount(server);
    account.writeConfig({ password: 'not-the-password' });
    const r = await runCli(['--config', account.configFile, 'draft', '--json']);
    expect(r.code, r.stderr).toBe(77);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.failed).toEqual([{ account: 'test', error: expect.objectContaining({ code: 'AUTH_FAILED' }) }]);
    expect(out.error.exitCode).toBe(77);
  });
});

describe('init: the TLS default follows the port', () => {
  const init = async (host: string, port: string | null) => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-leftovers-'));
    const file = join(dir, 'config.toml');
    const r = await runCli([
      '--config',
      file,
      'init',
      '--yes',
      '--no-test',
      '--host',
      host,
      ...(port ? ['--port', port] : []),
      '--user',
      'ann@example.test',
      '--password-env',
      'MAIL_PASSWORD',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    return { tls: text.match(/^tls = "(\w+)"/m)?.[1], port: text.match(/^port = (\d+)/m)?.[1] };
  };

  it('993 is implicit TLS also on loopback (a tunnel); 143 is starttls, or none on loopback', async () => {
    expect(await init('127.0.0.1', '993')).toEqual({ tls: 'implicit', port: '993' });
    expect(await init('localhost', '993')).toEqual({ tls: 'implicit', port: '993' });
    expect(await init('imap.example.com', '993')).toEqual({ tls: 'implicit', port: '993' });
    expect(await init('imap.example.com', '143')).toEqual({ tls: 'starttls', port: '143' });
    expect(await init('127.0.0.1', '143')).toEqual({ tls: 'none', port: '143' });
    // No port: as before, implicit (993), or none on loopback (143).
    expect(await init('imap.example.com', null)).toEqual({ tls: 'implicit', port: '993' });
    expect(await init('localhost', null)).toEqual({ tls: 'none', port: '143' });
  });
});

describe('a sync stopped partway reports what it stored', () => {
  it('the stopped mailbox counts its stored batches, and the daemon line says interrupted', async () => {
    const account = newAccount(server, { top: '[sync]\nbatch_size = 5\nparallel_mailboxes = 1\n' });
    const client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 30 }, () => buildMessage()),
    );
    await client.logout();
    const db = openStore(account.config.dbPath);
    try {
      const controller = new AbortController();
      const r = await syncAccount({
        db,
        account: account.config.accounts[0]!,
        settings: account.config.sync,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.mailbox === 'INBOX' && p.phase === 'fetch' && p.done >= 10) controller.abort();
        },
      });
      const stored = (
        db
          .prepare(
            "SELECT count(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX'",
          )
          .get() as {
          n: number;
        }
      ).n;
      expect(r.interrupted).toContain('INBOX');
      expect(stored).toBeGreaterThanOrEqual(10);
      expect(stored).toBeLessThan(30);
      const inbox = r.mailboxes.find((m) => m.path === 'INBOX');
      expect(inbox?.added).toBe(stored);
      const line = syncedLine(r);
      console.log(`${line.message} ${JSON.stringify(line.fields)}`);
      expect(line.message).toMatch(/^sync interrupted/);
      expect(line.fields).toMatchObject({ added: stored, interrupted: r.interrupted });
    } finally {
      db.close();
    }
  });
});

describe('a missing input file exits 66 (EX_NOINPUT), from every command that reads one', () => {
  it('log --file, mail reply-text FILE, init --ca-file: 66 with the path and the fix; --json gets it as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-leftovers-'));
    const nope = join(dir, 'nope');
    const log = await runCli(['log', '--file', nope]);
    expect(log.code).toBe(66);
    expect(log.stderr).toMatch(/cannot read the log file .*nope: no such file\n\s+fix: /);
    const logJson = await runCli(['log', '--file', nope, '--json']);
    expect(logJson.code).toBe(66);
    expect(JSON.parse(logJson.stdout).error).toMatchObject({ code: 'INPUT_NOT_FOUND', exitCode: 66 });
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const isFolder = await runCli(['log', '--file', folder]);
    expect(isFolder.code).toBe(66);
    expect(isFolder.stderr).toMatch(/it is a folder, not a file/);
    expect(isFolder.stderr).not.toMatch(STACK);

    const mail = await runCli(['mail', 'reply-text', join(dir, 'missing.eml')]);
    expect(mail.code).toBe(66);
    expect(mail.stderr).toMatch(/cannot read the message .*missing\.eml: no such file/);
    const mailJson = await runCli(['mail', 'reply-text', '--json', join(dir, 'missing.eml')]);
    expect(mailJson.code).toBe(66);
    // One {file, error} line per file, as for a malformed one; no extra object after it.
    expect(
      mailJson.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).error?.code),
    ).toEqual(['INPUT_NOT_FOUND']);
    // A malformed message read from a file that exists stays 65, also beside a missing one.
    const notMail = join(dir, 'notes.txt');
    writeFileSync(notMail, 'just a note\n');
    const mixed = await runCli(['mail', 'reply-text', notMail, join(dir, 'missing.eml')]);
    expect(mixed.code).toBe(65);

    // init --ca-file: checked before anything is asked or written.
    const config = join(dir, 'config.toml');
    const init = await runCli([
      '--config',
      config,
      'init',
      '--yes',
      '--no-test',
      '--host',
      'imap.example.com',
      '--user',
      'ann@example.com',
      '--password-env',
      'MAIL_PASSWORD',
      '--ca-file',
      join(dir, 'no-ca.pem'),
    ]);
    expect(init.code).toBe(66);
    expect(init.stderr).toMatch(
      /cannot read the CA certificate .*no-ca\.pem: no such file\n\s+fix: check the path given to --ca-file/,
    );
    expect(existsSync(config)).toBe(false);
  });

  it("README's table lists 66 for a missing input file", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toMatch(/^\| 66 +\|.*input file that does not exist/m);
  });
});

describe('the daemon and a tls/port mismatch (the server sends no greeting)', () => {
  let child: ChildProcess | undefined;

  beforeAll(() => () => {
    child?.kill('SIGKILL');
  });

  it('logs the cause with the tls/port fix once at warn or error, and the retries quietly', async () => {
    // Plain IMAP spoken to the TLS port: Dovecot waits for a TLS handshake and says nothing.
    const account = newAccount(server, {
      top: '[daemon]\nsync_cron = "0 0 1 1 *"\ntrain_cron = "0 0 1 1 *"\n[sync]\ntimeout_s = 2\nretries = 1\nretry_window_s = 0\n',
    });
    account.writeConfig({ port: server.tlsPort ?? 0, tls: 'none' });
    let out = '';
    child = spawn(process.execPath, [CLI, '--config', account.configFile, '--log-level', 'debug', 'daemon'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child?.once('exit', (c) => r(c)));
    const records = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; fix?: string; code?: string });
    // Wait for a repeat of the IDLE failure (the first one is ~2 s in, the next after a backoff).
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !records().some((r) => r.msg.startsWith('IDLE connection lost again')))
      await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const all = records();
    const loud = all.filter((r) => r.level >= 40); // warn, error
    console.log(loud.map((r) => `${r.level} ${r.msg} ${r.fix ?? ''}`).join('\n'));
    const idleLoud = loud.filter((r) => r.msg.startsWith('IDLE connection lost'));
    expect(all.filter((r) => r.msg.startsWith('IDLE connection lost')).length).toBeGreaterThanOrEqual(2);
    expect(idleLoud).toHaveLength(1);
    expect(idleLoud[0]?.fix).toMatch(/check tls and port/);
    // The sync's own retries: the cause and the fix once, then the failure once.
    const retryLoud = loud.filter((r) => r.msg === 'temporary IMAP failure, reconnecting');
    expect(retryLoud.length).toBeLessThanOrEqual(1);
    for (const r of retryLoud) expect(r.fix).toMatch(/check tls and port/);
    const failed = loud.filter((r) => r.msg === 'sync failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.fix).toMatch(/check tls and port/);
    expect(out).not.toMatch(STACK);
  }, 60_000);
});
