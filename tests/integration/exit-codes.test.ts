// Exit codes, locks and first-use errors as a user meets them, against Dovecot: the daemon's
// codes match its unit (78 config, 77 login refused, 75 lock held) and never come with a stack
// trace; one daemon / sync / draft per data folder, while read-only commands still work; user
// errors (no keyring service, Ctrl-C at a prompt) are messages, not crashes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
/** A line of a JavaScript stack trace ("    at fn (file:1:2)"). */
const STACK = /^\s+at .+[:(]/m;

async function waitFor<T>(what: string, timeoutMs: number, check: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startDaemon(account: TestAccount, env: Record<string, string> = {}) {
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [CLI, '--config', account.configFile, 'daemon'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  child.on('error', () => {});
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, exited, log: () => out };
}

const daemonStatus = (account: TestAccount) => {
  try {
    return JSON.parse(readFileSync(join(account.config.dataDir, 'daemon-status.json'), 'utf8'));
  } catch {
    return null;
  }
};

const DAEMON_TOP = '[daemon]\nsync_cron = "0 0 1 1 *"\ntrain_cron = "0 0 1 1 *"\nmin_new_examples = 100000\n';

describe('exit codes and messages', () => {
  let account: TestAccount;

  beforeAll(async () => {
    account = newAccount(server, { top: DAEMON_TOP });
    const client = await account.client();
    await appendMessages(client, 'INBOX', [buildMessage({ subject: 'hello' })]);
    await client.logout();
  });

  it('daemon: a broken config exits 78 with every problem and no stack trace (0 under launchd, which cannot skip codes)', async () => {
    const bad = join(account.dir, 'broken.toml');
    writeFileSync(bad, `${readFileSync(account.configFile, 'utf8')}\nbogus_key = 1\n`, { mode: 0o600 });
    const run = await runCli(['--config', bad, 'daemon'], {}, 60_000);
    console.log(`daemon, broken config: exit ${run.code}: ${run.stderr.split('\n')[0]}`);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/bogus_key/);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).not.toMatch(/unexpected error/);
    const launchd = await runCli(['--config', bad, 'daemon'], { UNDERSTUDY_SUPERVISOR: 'launchd' }, 60_000);
    expect(launchd.code).toBe(0);
    expect(launchd.stderr).toMatch(/bogus_key/);
    expect(launchd.stderr).toMatch(/exit code 78/);
    // The same file gives `sync` the same code.
    expect((await runCli(['--config', bad, 'sync'])).code).toBe(78);
  });

  it('daemon: a refused login stops it with 77 instead of retrying IDLE forever, and status says so', async () => {
    const wrong = newAccount(server, { top: DAEMON_TOP });
    wrong.writeConfig({ password: 'not-the-password' });
    const t0 = Date.now();
    const daemon = startDaemon(wrong);
    const code = await Promise.race([
      daemon.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000)),
    ]);
    if (code === 'still running') daemon.child.kill('SIGKILL');
    console.log(`daemon with a wrong password: exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(code).toBe(77);
    expect(daemon.log()).toMatch(/rejected the login/);
    expect(daemon.log()).not.toMatch(STACK);
    expect(daemon.log()).not.toContain('not-the-password');
    const status = await runCli(['--config', wrong.configFile, 'status']);
    console.log(status.stdout.split('\n').find((l) => l.startsWith('daemon:')));
    expect(status.stdout).toMatch(/daemon: STOPPED .*exit 77, AUTH_FAILED.*rejected the login/);
    expect(status.code).toBe(1);
    // Started again with the right password, it runs and status no longer says stopped.
    wrong.writeConfig({});
    const again = startDaemon(wrong);
    try {
      await waitFor('the daemon to run', 60_000, () => daemonStatus(wrong)?.state === 'running');
      const ok = await runCli(['--config', wrong.configFile, 'status']);
      expect(ok.stdout).toMatch(/daemon: (running|starting)/);
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });

  it('secret set without a keyring service: exit 78, what to use instead, no stack trace', async () => {
    const keyring = newAccount(server, { account: '' });
    const text = readFileSync(keyring.configFile, 'utf8').replace(/^password_file = .*$/m, 'password_keyring = true');
    writeFileSync(keyring.configFile, text, { mode: 0o600 });
    // A session bus that does not exist: the Secret Service cannot be reached, as on a server.
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, '--config', keyring.configFile, 'secret', 'set', 'test'], {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(keyring.dir, 'no-bus')}` },
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', () => {});
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin.end('a-password\n');
    });
    console.log(`secret set without a keyring: exit ${run.code}: ${run.stderr.split('\n')[0]}`);
    // Where a keyring does answer, storing succeeds: nothing to check then.
    if (run.code === 0) return;
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/cannot store the password/);
    expect(run.stderr).toMatch(/fix: use password_command/);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).not.toMatch(/unexpected error/);
  });

  it('Ctrl-C at an init prompt: exit 130, "cancelled", no stack trace, no config written', async () => {
    const dir = newAccount(server).dir;
    const target = join(dir, 'new-config.toml');
    // A real terminal (Python's pty): init only asks questions on a TTY.
    const script = [
      'import os, pty, sys, time, select',
      `pid, fd = pty.fork()`,
      'if pid == 0:',
      `    os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, ${JSON.stringify(CLI)}, '--config', ${JSON.stringify(target)}, 'init'])`,
      'out = b""',
      'deadline = time.time() + 30',
      'while b"IMAP server" not in out and time.time() < deadline:',
      '    r, _, _ = select.select([fd], [], [], 0.5)',
      '    if r: out += os.read(fd, 4096)',
      'os.write(fd, b"\\x03")',
      'while True:',
      '    try:',
      '        r, _, _ = select.select([fd], [], [], 10)',
      '        if not r: break',
      '        chunk = os.read(fd, 4096)',
      '        if not chunk: break',
      '        out += chunk',
      '    except OSError:',
      '        break',
      '_, status = os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode("utf8", "replace"))',
      'sys.stdout.write("\\nEXIT %d\\n" % (os.waitstatus_to_exitcode(status)))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    const exit = Number(/EXIT (-?\d+)/.exec(run.stdout)?.[1]);
    console.log(`Ctrl-C at init: exit ${exit}: ${run.stdout.trim().split('\n').slice(-2, -1)[0]}`);
    expect(run.stdout).toMatch(/IMAP server/);
    expect(exit).toBe(130);
    expect(run.stdout).toMatch(/cancelled/);
    expect(run.stdout).not.toMatch(STACK);
    expect(run.stdout).not.toMatch(/AbortError/);
    expect(existsSync(target), 'no config written').toBe(false);
  });
});

describe('a data folder where none can be', () => {
  it('data_dir on /proc, under a file: exit 73 at once with the reason, no stack trace, no spinning', async () => {
    const account = newAccount(server);
    const base = readFileSync(account.configFile, 'utf8');
    const file = join(account.dir, 'a-file');
    writeFileSync(file, 'x');
    for (const dir of ['/proc/understudy-test', join(file, 'data')]) {
      writeFileSync(account.configFile, base.replace(/^data_dir = .*$/m, `data_dir = "${dir}"`), { mode: 0o600 });
      const t0 = Date.now();
      const run = await runCli(['--config', account.configFile, 'sync'], {}, 30_000);
      console.log(`data_dir = ${dir}: exit ${run.code} after ${Date.now() - t0} ms: ${run.stderr.split('\n')[0]}`);
      expect(run.code).toBe(73);
      expect(run.stderr).toMatch(/fix: set data_dir to a folder you can write/);
      expect(run.stderr).not.toMatch(STACK);
    }
  });
});

describe('a malformed message is a per-message problem', () => {
  it('mail reply-text on a message mailparser refuses (thousands of parts): exit 65 with the reason, no stack trace', async () => {
    const file = resolve(import.meta.dirname, '../../../shared/corpora/field/hostile/many-parts.eml');
    const run = await runCli(['mail', 'reply-text', file]);
    console.log(`mail reply-text many-parts.eml: exit ${run.code}: ${run.stderr.split('\n')[0]}`);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/cannot parse .*many-parts\.eml as an RFC 5322 message: \S/);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).not.toMatch(/unexpected error/);
  });
});

describe('one of each at a time (the data folder lock)', () => {
  it('a sync, a draft or a second daemon beside the daemon says who holds the lock and exits 75; read-only commands work', async () => {
    const account = newAccount(server, { top: DAEMON_TOP });
    const daemon = startDaemon(account);
    try {
      await waitFor('the daemon to run', 60_000, () => daemonStatus(account)?.pid === daemon.child.pid);
      const pid = daemon.child.pid;
      for (const args of [['sync'], ['draft'], ['daemon']]) {
        const run = await runCli(['--config', account.configFile, ...args], {}, 60_000);
        console.log(`${args[0]} beside the daemon: exit ${run.code}: ${run.stderr.split('\n')[0]}`);
        expect(run.code, args[0]).toBe(75);
        expect(run.stderr).toMatch(new RegExp(`pid ${pid}, \`understudy daemon\`, since `));
        expect(run.stderr).toMatch(/fix: the daemon syncs and drafts by itself/);
        expect(run.stderr).not.toMatch(STACK);
      }
      const status = await runCli(['--config', account.configFile, 'status']);
      expect(status.stdout).toMatch(new RegExp(`daemon: \\w+, pid ${pid}`));
      expect((await runCli(['--config', account.configFile, 'config', 'check', '--no-secrets'])).code).toBe(0);
      expect((await runCli(['--config', account.configFile, 'dataset', 'stats'])).stderr).not.toMatch(/holds|lock/);
    } finally {
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    }
    // Once it stopped, sync runs.
    const after = await runCli(['--config', account.configFile, 'sync', '--quiet']);
    expect(after.code, after.stderr).toBe(0);
  });

  it('two syncs at once: the second exits 75 naming the first; SIGKILLed holders leave no stale lock behind', async () => {
    const account = newAccount(server);
    // A password_command that takes 15 s keeps the first sync inside its lock (a busy machine takes
    // seconds just to start the second one).
    const secretFile = join(account.dir, 'imap.pass');
    const text = readFileSync(account.configFile, 'utf8').replace(
      /^password_file = .*$/m,
      `password_command = "sleep 15; cat ${secretFile}"`,
    );
    writeFileSync(account.configFile, text, { mode: 0o600 });
    const first = runCli(['--config', account.configFile, 'sync', '--quiet']);
    await waitFor('the first sync to take the lock', 20_000, () => {
      try {
        return readFileSync(join(account.config.dataDir, 'understudy.lock'), 'utf8').includes('understudy sync');
      } catch {
        return false;
      }
    });
    const second = await runCli(['--config', account.configFile, 'sync']);
    console.log(`second sync: exit ${second.code}: ${second.stderr.split('\n')[0]}`);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/another Understudy is working on .* \(pid \d+, `understudy sync`, since /);
    expect(second.stderr).not.toMatch(/IMAP|database is locked/);
    expect((await first).code).toBe(0);

    // A holder killed with SIGKILL cannot clean up: its lock is stale and the next run takes it.
    const killed = spawn(process.execPath, [CLI, '--config', account.configFile, 'sync', '--quiet'], {
      stdio: 'ignore',
    });
    killed.on('error', () => {});
    await waitFor('the sync to take the lock', 20_000, () => {
      try {
        return readFileSync(join(account.config.dataDir, 'understudy.lock'), 'utf8').includes(String(killed.pid));
      } catch {
        return false;
      }
    });
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    const next = await runCli(['--config', account.configFile, 'sync', '--quiet']);
    expect(next.code, next.stderr).toBe(0);
  });
});
