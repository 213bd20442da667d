// The small defects a newcomer hit (issue 15 item 10), each against the real CLI and Dovecot:
// --version, --log-level checked, help at 80 columns, warnings said once, sync -q, Ctrl-C during
// sync recorded, dataset export to stdout, draft --message by UID or Message-ID, config check
// showing what train will use, base_model values that cannot work.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');

describe('understudy CLI: what a newcomer hits', () => {
  let account: TestAccount;
  const question = '<newcomer-question@example.test>';

  beforeAll(async () => {
    account = newAccount(server);
    const me = `${account.user}@example.test`;
    const client = await account.client();
    const now = Date.now();
    await appendMessages(client, 'INBOX', [
      buildMessage({
        subject: 'Lunch on Friday?',
        messageId: question,
        to: me,
        date: new Date(now - 3600_000),
        body: 'Hi,\r\n\r\nShall we have lunch on Friday at noon?\r\n\r\nBob\r\n',
        from: 'Bob Example <bob@example.test>',
      }),
    ]);
    await appendMessages(client, 'Sent', [
      buildMessage({
        subject: 'Re: Lunch on Friday?',
        from: me,
        to: 'Bob Example <bob@example.test>',
        inReplyTo: question,
        references: question,
        date: new Date(now - 1800_000),
        body: 'Hi Bob,\r\n\r\nFriday at noon works for me, see you at the usual place.\r\n\r\nCheers,\r\nAnn\r\n',
      }),
    ]);
    await client.logout();
  });

  it('--version prints the version; --log-level bogus is a usage error listing the levels', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(pkg.version);
    const bogus = await runCli(['--config', account.configFile, '--log-level', 'bogus', 'status']);
    expect(bogus.code).toBe(64);
    expect(bogus.stderr).toMatch(/'bogus' is invalid/);
    expect(bogus.stderr).toMatch(/debug, info, warn, error/);
  });

  it('help fits 80 columns without ragged lines, for every command', async () => {
    const commands = [[], ['init'], ['sync'], ['draft'], ['dataset', 'export'], ['model', 'pull'], ['config', 'check']];
    for (const cmd of commands) {
      const help = await runCli([...cmd, '--help']);
      expect(help.code).toBe(0);
      const lines = help.stdout.split('\n');
      for (const line of lines) expect([...line].length, `${cmd.join(' ')}: ${line}`).toBeLessThanOrEqual(80);
      // Ragged: a line that ends early although the next line's first word would have fitted.
      for (let i = 0; i + 1 < lines.length; i++) {
        const line = lines[i] ?? '';
        const next = lines[i + 1] ?? '';
        const indent = (s: string) => /^\s*/.exec(s)?.[0].length ?? 0;
        if (!line.trim() || !next.trim() || indent(line) !== indent(next) || indent(line) > 0) continue;
        if (/:$/.test(line) || /^(Usage|Options|Commands|Arguments|Exit codes?)\b/i.test(next)) continue;
        const word = next.trim().split(/\s+/)[0] ?? '';
        expect([...`${line} ${word}`].length, `${cmd.join(' ')}: ragged after "${line}"`).toBeGreaterThan(80);
      }
    }
  });

  it('a missing config names understudy init as the fix', async () => {
    const r = await runCli(['--config', join(account.dir, 'none.toml'), 'status']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/fix: run `understudy init`/);
  });

  it('sync -q prints nothing on success; a warning is said once, in words, not again as JSON', async () => {
    // As `init` writes it: log_level = "info".
    account.writeConfig({ account: '[accounts.folders]\ninclude = ["Projekte/**"]' });
    writeFileSync(
      account.configFile,
      readFileSync(account.configFile, 'utf8').replace('log_level = "warn"', 'log_level = "info"'),
    );
    const r = await runCli(['--config', account.configFile, 'sync']);
    // Asked for, the JSON log is there.
    const logged = await runCli(['--config', account.configFile, '--log-level', 'warn', 'sync', '-q']);
    expect(logged.stderr).toMatch(/"level":40.*Projekte/);
    account.writeConfig();
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all.match(/Projekte/g)?.length, all).toBe(1);
    expect(r.stderr).not.toMatch(/"level":/);
    const quiet = await runCli(['--config', account.configFile, 'sync', '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');
  });

  it('dataset export - writes JSONL to stdout, no file named "-"', async () => {
    await runCli(['--config', account.configFile, 'sync', '-q']);
    const build = await runCli(['--config', account.configFile, 'dataset', 'build']);
    expect(build.code, build.stderr).toBe(0);
    const r = await runCli(['--config', account.configFile, 'dataset', 'export', '-']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line).messages.at(-1).role).toBe('assistant');
    expect(r.stdout).toContain('Friday at noon works for me');
    expect(r.stderr).toMatch(/wrote \d+ examples to stdout/);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
  });

  it('draft --message takes a UID or a Message-ID; one not in the INBOX is an error, not a silent 0', async () => {
    const missing = await runCli(['--config', account.configFile, 'draft', '--dry-run', '--message', '9999']);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toMatch(/no INBOX message with UID 9999/);
    expect(missing.stderr).toMatch(/fix: /);
    const noId = await runCli(['--config', account.configFile, 'draft', '--dry-run', '--message', '<nope@x.test>']);
    expect(noId.code).toBe(65);
    expect(noId.stderr).toMatch(/no INBOX message with Message-ID <nope@x\.test>/);
    const byId = await runCli([
      '--config',
      account.configFile,
      'draft',
      '--dry-run',
      '--json',
      '--message',
      question.slice(1, -1),
    ]);
    expect(byId.stderr).not.toMatch(/no INBOX message/);
    const decisions = JSON.parse(byId.stdout).accounts[0].decisions as { uid: number; subject: string }[];
    expect(decisions.map((d) => d.subject)).toEqual(['Lunch on Friday?']);
  });

  it('config check shows [train], [drafts], [daemon], the base model and the Python train will use', async () => {
    const r = await runCli(['--config', account.configFile, 'config', 'check', '--no-secrets']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/train: base model qwen2\.5-0\.5b-instruct — NOT READY: .*understudy model pull/);
    expect(r.stdout).toMatch(/python: (\S+ \(torch [\w.+]+\)|NOT FOUND: no Python with PyTorch)/);
    expect(r.stdout).toMatch(/drafts: messages up to \d+ days old/);
    expect(r.stdout).toMatch(/daemon: sync "/);
    const json = JSON.parse(
      (await runCli(['--config', account.configFile, 'config', 'check', '--json', '--no-secrets'])).stdout,
    );
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['train', 'drafts', 'daemon', 'dataset', 'baseModel', 'python']),
    );
  });

  it('a GGUF file or an Ollama name as base_model says what works instead of "model pull" it', async () => {
    for (const name of ['/models/qwen2.5-0.5b-instruct-q4_k_m.gguf', 'llama3.2:1b']) {
      account.writeConfig();
      writeFileSync(
        account.configFile,
        readFileSync(account.configFile, 'utf8').replace('log_level', `[train]\nbase_model = "${name}"\n\n# log_level`),
      );
      const r = await runCli(['--config', account.configFile, 'train']);
      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toMatch(/train\.base_model/);
      expect(r.stderr).toMatch(/Hugging Face-layout model folder/);
      expect(r.stderr).not.toMatch(new RegExp(`model pull ${name.replace(/[.]/g, '\\.')}`));
    }
    account.writeConfig();
  });

  it('Ctrl-C during sync is recorded: status says interrupted, not ok, until a sync completes', async () => {
    const client = await account.client();
    await client.mailboxCreate('Archive/Big').catch(() => undefined);
    await appendMessages(
      client,
      'Archive',
      Array.from({ length: 400 }, (_, i) => buildMessage({ subject: `bulk ${i}`, body: `line ${i}\r\n`.repeat(50) })),
    );
    await client.logout();
    account.writeConfig({ top: '[sync]\nbatch_size = 1' });
    const child = spawn(process.execPath, [CLI, '--config', account.configFile, 'sync'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += String(d);
        if (/Archive: fetching new mail/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/sync stopped by Ctrl-C/);
    const status = await runCli(['--config', account.configFile, 'status']);
    expect(status.stdout, status.stdout).toMatch(
      /last sync INTERRUPTED: stopped by Ctrl-C .*run understudy sync to finish/,
    );
    expect(status.stdout).not.toMatch(/— ok/);
    account.writeConfig();
    const again = await runCli(['--config', account.configFile, 'sync', '-q']);
    expect(again.code, again.stderr).toBe(0);
    const after = await runCli(['--config', account.configFile, 'status']);
    expect(after.stdout).toMatch(/— ok/);
    console.log(`Ctrl-C: ${stderr.trim().split('\n').slice(-2).join(' | ')}; stdout: ${stdout.split('\n')[0]}`);
  });
});
