// The CLI as a user meets it: exit codes, messages, TLS trust, bad passwords and bad configs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');

describe('understudy CLI', () => {
  let account: TestAccount;

  beforeAll(async () => {
    account = newAccount(server);
    const client = await account.client();
    await appendMessages(client, 'INBOX', [buildMessage({ subject: 'one' }), buildMessage({ subject: 'two' })]);
    await appendMessages(client, 'Sent', [buildMessage({ subject: 'Re: one' })]);
    await client.logout();
  });

  it('sync prints a summary and status reads it back from the store', async () => {
    const sync = await runCli(['--config', account.configFile, 'sync']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/test: 3 mailboxes synced in [\d.]+ s — 3 new, 0 changed, 0 expunged/);
    expect(sync.stdout).toMatch(/INBOX\s+2 messages\s+\+2/);
    const status = await runCli(['--config', account.configFile, 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/test \(.*\): 3 messages, last complete sync \d+ s ago — ok/);
    expect(status.stdout).toMatch(/Sent\s+1 messages .*\\Sent/);
    const json = JSON.parse((await runCli(['--config', account.configFile, 'status', '--json'])).stdout);
    expect(json.accounts[0].mailboxes.map((b: { path: string; messages: number }) => [b.path, b.messages])).toEqual([
      ['Archive', 0],
      ['INBOX', 2],
      ['Sent', 1],
    ]);
    console.log(status.stdout);
  });

  it('a wrong password is reported as a login failure with exit code 77', async () => {
    account.writeConfig({ password: 'not-the-password' });
    const result = await runCli(['--config', account.configFile, 'sync']);
    account.writeConfig();
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/rejected the login for user/);
    expect(result.stderr).toMatch(/fix: check user and the secret/);
    expect(result.stderr).not.toContain('not-the-password');
    const status = await runCli(['--config', account.configFile, 'status']);
    expect(status.stdout).toMatch(/last sync FAILED \(auth\)/);
    console.log(result.stderr);
  });

  it('a self-signed certificate is refused unless ca_file trusts it', async () => {
    const tlsPort = server.tlsPort ?? 0;
    account.writeConfig({ port: tlsPort, tls: 'implicit' });
    const refused = await runCli(['--config', account.configFile, 'sync']);
    expect(refused.code).toBe(69);
    expect(refused.stderr).toMatch(
      /TLS certificate of 127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    );
    expect(refused.stderr).toMatch(/ca_file/);

    account.writeConfig({
      port: tlsPort,
      tls: 'implicit',
      account: `ca_file = "${server.certFile}"`,
    });
    const trusted = await runCli(['--config', account.configFile, 'sync']);
    expect(trusted.code, trusted.stderr).toBe(0);

    account.writeConfig({ tls: 'starttls', account: `ca_file = "${server.certFile}"` });
    const starttls = await runCli(['--config', account.configFile, 'sync']);
    expect(starttls.code, starttls.stderr).toBe(0);
    account.writeConfig();
    console.log(`refused: ${refused.stderr.split('\n')[0]}`);
  });

  it('a malformed config lists every problem at once, with exit code 78', async () => {
    const file = join(account.dir, 'bad.toml');
    writeFileSync(
      file,
      `log_level = "chatty"
[sync]
batch_sise = 10

[[accounts]]
name = "work mail"
host = "imap.example.com"
port = 99999
tls = "ssl"
user = "ann@example.com"

[[accounts]]
name = "home"
host = "mail.example.net"
tls = "none"
user = "ann"
password_env = "HOME_PW"
password_command = "pass show home"
`,
    );
    const result = await runCli(['--config', file, 'sync']);
    expect(result.code).toBe(78);
    const problems = [
      /accounts\[0\]: no secret configured/,
      /accounts\[0\]\.name: must be 1-64 letters/,
      /accounts\[0\]\.port: must be between 1 and 65535 \(got 99999\)/,
      /accounts\[0\]\.tls: must be one of "implicit", "starttls", "none" \(got "ssl"\)/,
      /accounts\[1\]: more than one secret configured \(password_command, password_env\)/,
      /accounts\[1\]\.tls: plaintext IMAP to mail\.example\.net would send your password unencrypted/,
      /log_level: .*\(got "chatty"\)/,
      /sync: unknown key "batch_sise" \(did you mean "batch_size"\?\)/,
    ];
    for (const p of problems) expect(result.stderr).toMatch(p);
    expect(result.stderr).toMatch(/has 8 problems/);
    // --json: the same problems as JSON on stdout (a script reading stdout got nothing before).
    const asJson = await runCli(['--config', file, 'config', 'check', '--json']);
    expect(asJson.code).toBe(78);
    const parsed = JSON.parse(asJson.stdout);
    expect(parsed.valid).toBe(false);
    expect(parsed.problems).toHaveLength(8);
    expect(parsed.problems.map((p: { path: string }) => p.path)).toContain('accounts[0].port');
    const syntax = join(account.dir, 'syntax.toml');
    writeFileSync(syntax, '[[accounts]\nname = "x"\n');
    const bad = await runCli(['--config', syntax, 'config', 'check']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/line 1, column \d+: not valid TOML/);
    const missing = await runCli(['--config', join(account.dir, 'nope.toml'), 'status']);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/the file does not exist\n\s+fix: run `understudy init` to write it/);
    console.log(result.stderr);
  });

  it('config check shows the resolved config and checks the secret without printing it', async () => {
    const result = await runCli(['--config', account.configFile, 'config', 'check']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/secret: password_file .*imap\.pass — ok \(password read; never printed\)/);
    expect(result.stdout).not.toMatch(/15 characters/); // not even the secret's length
    expect(result.stdout).not.toContain(account.password);
    const json = await runCli(['--config', account.configFile, 'config', 'check', '--json']);
    expect(json.stdout).not.toContain(account.password);
    expect(JSON.parse(json.stdout).accounts[0].port).toBe(server.port);
    expect(JSON.parse(json.stdout).ok).toBe(true);
    // A file that validates but whose secret cannot be read: valid, not ok, exit 78.
    const noSecret = join(account.dir, 'no-secret.toml');
    writeFileSync(
      noSecret,
      readFileSync(account.configFile, 'utf8').replace(
        /password_file = ".*"/,
        'password_file = "/nonexistent/imap.pass"',
      ),
    );
    const failed = await runCli(['--config', noSecret, 'config', 'check', '--json']);
    expect(failed.code).toBe(78);
    const report = JSON.parse(failed.stdout);
    expect([report.valid, report.ok]).toEqual([true, false]);
    expect(report.accounts[0].secret.check).toMatch(/^FAILED: /);
  });

  it('usage errors exit 64 and every command has --help', async () => {
    const unknown = await runCli(['--config', account.configFile, 'sync', '--account', 'nope']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/no account named "nope" in the config; known: test/);
    expect((await runCli(['frobnicate'])).code).toBe(64);
    for (const cmd of [[], ['sync'], ['status'], ['config', 'check'], ['secret', 'set']]) {
      const help = await runCli([...cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Usage: understudy/);
    }
    // demo --keep keeps the folder, not the throwaway server's mail (that server is removed).
    const demoHelp = (await runCli(['demo', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(demoHelp).not.toMatch(/server mail, config/);
    expect(demoHelp).toMatch(
      /--keep keep the demo folder \(config, data, the tiny model\).*IMAP server and its mail are removed/,
    );
  });

  it('service install/uninstall never report success when systemctl failed (here: no user bus)', async () => {
    const xdg = join(account.dir, 'xdg');
    // A bus address that leads nowhere: systemctl --user fails as it does without a user session.
    const env = {
      XDG_CONFIG_HOME: xdg,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(account.dir, 'no-bus')}`,
      XDG_RUNTIME_DIR: join(account.dir, 'no-runtime'),
    };
    const install = await runCli(['--config', account.configFile, 'service', 'install'], env);
    if (install.code === 0) return; // a machine where systemctl --user works: nothing to check here
    console.log(`service install without a user session: exit ${install.code}: ${install.stderr.split('\n')[0]}`);
    expect(install.code).toBe(1);
    expect(install.stdout).not.toMatch(/started it/);
    expect(install.stderr).toMatch(/could not start it/);
    expect(install.stderr).toMatch(/loginctl enable-linger/);
    const uninstall = await runCli(['--config', account.configFile, 'service', 'uninstall'], env);
    expect(uninstall.code).toBe(1);
    expect(uninstall.stdout).not.toMatch(/stopped/);
    expect(uninstall.stderr).toMatch(/could not stop the service/);
  });
});
