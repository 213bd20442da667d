// First run: `understudy init` against the real Dovecot (unattended, with flags), and
// `understudy demo` end to end (its own throwaway Dovecot, a tiny model, sync → train → draft).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CLI, runCli } from '../helpers/account.js';
import { addUser, TEST_PASSWORD } from '../helpers/dovecot.js';

const server = inject('dovecot');

describe('understudy init', () => {
  const dir = mkdtempSync(join(tmpdir(), 'understudy-init-'));
  const { user } = addUser(server, 'init');
  const secretFile = join(dir, 'imap.pass');
  writeFileSync(secretFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  const flags = ['--yes', '--host', '127.0.0.1', '--port', String(server.port), '--tls', 'none', '--user', user];

  it('asks for what is missing, tests the connection, shows the folders and writes a 0600 config without the secret', async () => {
    const file = join(dir, 'config.toml');
    const missing = await runCli(['--config', file, 'init', '--yes']);
    expect(missing.code).toBe(64);
    // A login that is no address: the addresses are asked for (an unattended run must give them).
    expect(missing.stderr).toMatch(/init needs --host, --user, --address, --password-command/);

    // A failed connection test keeps the answers: the file is written, with a warning.
    const wrong = join(dir, 'wrong.pass');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const refused = await runCli([
      '--config',
      file,
      'init',
      ...flags,
      '--address',
      `${user}@example.test`,
      '--password-file',
      wrong,
    ]);
    expect(refused.code).toBe(77);
    expect(refused.stderr).toMatch(/warning: the connection test failed: .*rejected the login/);
    expect(refused.stderr).toMatch(/wrote .* anyway with your answers/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(`addresses = ["${user}@example.test"]`);

    const ok = await runCli([
      '--config',
      file,
      'init',
      '--force',
      ...flags,
      '--address',
      `${user}@example.test`,
      '--password-file',
      secretFile,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/connected: \d+ folders; Sent: Sent, Drafts: Drafts, Archive: Archive/);
    expect(ok.stdout).toMatch(/next: understudy model pull/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`password_file = "${secretFile}"`);
    expect(text).not.toContain(TEST_PASSWORD);
    const check = await runCli(['--config', file, 'config', 'check']);
    expect(check.code, check.stderr + check.stdout).toBe(0);

    const again = await runCli(['--config', file, 'init', ...flags, '--password-file', secretFile]);
    expect(again.code).toBe(73);
    expect(again.stderr).toMatch(/already exists; add another account to it with init --add/);
  });

  it('adds a second account to an existing config without touching the first, still 0600', async () => {
    const file = join(dir, 'two.toml');
    const base = [
      '--config',
      file,
      'init',
      ...flags,
      '--address',
      `${user}@example.test`,
      '--password-file',
      secretFile,
    ];
    expect((await runCli(base)).code).toBe(0);
    writeFileSync(file, `# my own comment\n${readFileSync(file, 'utf8')}`, { mode: 0o644 });
    const first = readFileSync(file, 'utf8');
    const taken = await runCli([...base, '--add']);
    expect(taken.code).toBe(64);
    expect(taken.stderr).toMatch(/already has an account named "mail"; give the new one another name with --name/);
    const added = await runCli([...base, '--add', '--name', 'work']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added account work to .* \(2 accounts\)/);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(first.trimEnd())).toBe(true);
    expect(text).toMatch(/name = "work"/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const check = await runCli(['--config', file, 'config', 'check', '--no-secrets']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/account mail: /);
    expect(check.stdout).toMatch(/account work: /);
  });

  it('a self-signed certificate points at --ca-file (and the answers are kept); with it, init connects', async () => {
    const file = join(dir, 'tls.toml');
    const tls = [
      '--config',
      file,
      'init',
      '--yes',
      '--host',
      '127.0.0.1',
      '--port',
      String(server.tlsPort),
      '--tls',
      'implicit',
      '--user',
      user,
      '--address',
      `${user}@example.test`,
      '--password-file',
      secretFile,
    ];
    const untrusted = await runCli(tls);
    expect(untrusted.code).toBe(69);
    expect(untrusted.stderr).toMatch(/not trusted/);
    expect(untrusted.stderr).toMatch(/run init again with --ca-file \/path\/to\/ca\.pem/);
    expect(statSync(file).isFile()).toBe(true);
    const trusted = await runCli([...tls, '--force', '--ca-file', server.certFile ?? '']);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toMatch(/connected: \d+ folders/);
    expect(readFileSync(file, 'utf8')).toContain(`ca_file = "${server.certFile}"`);
  });

  it('in a terminal it asks for the addresses and, on a self-signed certificate, for the CA file', async () => {
    const file = join(dir, 'asked.toml');
    const cli = [
      process.execPath,
      CLI,
      '--config',
      file,
      'init',
      '--host',
      '127.0.0.1',
      '--port',
      String(server.tlsPort),
      '--tls',
      'implicit',
      '--user',
      user,
      '--password-file',
      secretFile,
    ];
    // util-linux script(1) gives init a pseudo-terminal, as a user at a prompt has.
    const child = spawn('script', ['-qec', cli.map((a) => `'${a}'`).join(' '), '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const answered = new Set<string>();
    const answer = (prompt: RegExp, text: string) => {
      if (!answered.has(prompt.source) && prompt.test(screen)) {
        answered.add(prompt.source);
        child.stdin.write(`${text}\r`);
      }
    };
    child.stdout.on('data', (d) => {
      screen += String(d);
      answer(/your email addresses, comma-separated/, `${user}@example.test, ${user}@alias.test`);
      answer(/the CA certificate \(PEM\) that signed it/, server.certFile ?? '');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/not trusted/);
    expect(screen).toMatch(/connected: \d+ folders/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`addresses = ["${user}@example.test", "${user}@alias.test"]`);
    expect(text).toContain(`ca_file = "${server.certFile}"`);
  });

  it('gives provider advice for hosts that refuse plain passwords', async () => {
    const r = await runCli([
      '--config',
      join(dir, 'gmail.toml'),
      'init',
      '--yes',
      '--host',
      'imap.gmail.com',
      '--user',
      'ann@gmail.com',
      '--keyring',
      '--no-test',
    ]);
    expect(r.stderr).toMatch(/Gmail refuses your Google password over IMAP: create an app password/);
    expect(r.stderr).toMatch(/understudy secret set mail/);
    expect(r.code, r.stderr).toBe(0);
    // A login that is an address is the default address.
    expect(readFileSync(join(dir, 'gmail.toml'), 'utf8')).toContain('addresses = ["ann@gmail.com"]');
  });
});

describe('understudy demo', () => {
  it('runs the whole loop on a throwaway server: training progress, drafts in the persona’s form and language, what a real model adds', async () => {
    const r = await runCli(['demo'], { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'understudy-demo-cfg-')) }, 580_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/cut to the \d{3,4} tokens the sample mail uses \(of 151669\)/);
    expect(r.stderr).toMatch(/training step \d+\/150 loss \d/);
    expect(r.stderr).toMatch(/\d+ drafts in the sample Drafts folder/);
    expect(r.stderr).toMatch(/It learns their form only/);
    expect(r.stderr).toMatch(/A real base model \(understudy model pull/);
    const seconds = /demo finished in (\d+) s/.exec(r.stderr)?.[1];
    const drafts = r.stdout
      .split('\n---\n')
      .filter((d) => d.trim())
      .map((d) => `${d.trim()}\n`);
    console.log(
      `demo: ${seconds} s, ${drafts.length} drafts:\n${drafts.map((d) => d.split('\n\n').slice(0, 4).join('\n\n')).join('\n---\n')}`,
    );
    // The four new messages (two Dutch, two English) each get a reply in the persona's form, in
    // the message's language: "Hoi <name>, … Groetjes, Anna" or "Hi <name>, … Cheers, Anna".
    expect(drafts).toHaveLength(4);
    for (const d of drafts) {
      const dutch = /\nSubject: Re: Vraag \d+\n/.test(d);
      expect(d, d).toMatch(/^To: .+\nSubject: Re: (Vraag|Question) \d+\n\n/);
      expect(d, d).toMatch(
        dutch ? /\n\nHoi [A-Z]\w+,\n\n[^\n]+\n\nGroetjes,\nAnna\n/ : /\n\nHi [A-Z]\w+,\n\n[^\n]+\n\nCheers,\nAnna\n/,
      );
    }
  }, 600_000);
});
