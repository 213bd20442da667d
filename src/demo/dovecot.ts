// A throwaway Dovecot IMAP server on a free loopback port, with its own config, state and mail in
// a temp dir: what `understudy demo` runs its sample mailbox on, and what the tests and benchmarks
// run against. Known to work: `dovecot -F -c CONF`, ready when it greets with "* OK".
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UnderstudyError } from '../errors.js';

export interface DovecotInfo {
  dir: string;
  host: string;
  port: number;
  /** Implicit-TLS port with a self-signed certificate, when started with `tls: true`. */
  tlsPort?: number;
  /** The self-signed certificate (PEM) the TLS port presents. */
  certFile?: string;
  configFile: string;
  mailRoot: string;
  /** Owner of the mail files: `nobody` under root (mail processes refuse uid 0), else us. */
  mailUid: number;
  mailGid: number;
  pid: number;
}

export interface StartOptions {
  /** The password every user name logs in with (a static passdb: users exist by being named). */
  password: string;
  tls?: boolean;
  /** Advertise QRESYNC/CONDSTORE (on by default, as Dovecot does). */
  imapCapabilities?: string;
  /**
   * A `namespace inbox { … }` block replacing the default one (separator "/", no prefix, the
   * usual special-use folders), e.g. a Courier-style `prefix = INBOX.` with `separator = .`.
   */
  namespace?: string;
}

/** The personal namespace of the throwaway server: "/" separator, the usual special-use folders. */
const DEFAULT_NAMESPACE = `namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function which(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function dovecotAvailable(): boolean {
  return which('dovecot');
}

export async function startDovecot(options: StartOptions): Promise<{
  info: DovecotInfo;
  process: ChildProcess;
  stop: () => Promise<void>;
  restart: (downMs?: number) => Promise<void>;
}> {
  if (!dovecotAvailable()) {
    const fix = 'install it with: sudo apt-get install dovecot-imapd';
    throw new UnderstudyError('DOVECOT_MISSING', 'config', `dovecot is not installed; ${fix}`, { fix });
  }
  const dir = mkdtempSync(join(tmpdir(), 'understudy-dovecot-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  const me = userInfo();
  const mailUid = root ? 65534 : me.uid;
  const mailGid = root ? 65534 : me.gid;
  const mailRoot = join(dir, 'mail');
  mkdirSync(mailRoot, { mode: 0o755 });
  chownSync(mailRoot, mailUid, mailGid);
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  let certFile: string | undefined;
  let keyFile: string | undefined;
  if (options.tls) {
    certFile = join(dir, 'cert.pem');
    keyFile = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    chmodSync(keyFile, 0o600);
  }
  const users = root
    ? ''
    : `default_internal_user = ${me.username}\ndefault_login_user = ${me.username}\ndefault_internal_group = ${me.username}\n`;
  const configFile = join(dir, 'dovecot.conf');
  writeFileSync(
    configFile,
    `# Written by Understudy (a throwaway server for the demo and the tests).
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = understudy-dovecot-${port}
listen = 127.0.0.1
protocols = imap
${users}log_path = ${dir}/dovecot.log
ssl = ${options.tls ? 'yes' : 'no'}
${options.tls ? `ssl_cert = <${certFile}\nssl_key = <${keyFile}\n` : ''}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${mailRoot}/%u/Maildir
mail_fsync = never
verbose_proctitle = yes
${options.imapCapabilities ? `imap_capability = ${options.imapCapabilities}\n` : ''}# Every user name logs in with the one password: tests create users just by naming them, with no
# passwd-file for Dovecot to re-read (appends within one second raced with its reload check).
passdb {
  driver = static
  args = password=${options.password}
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${mailRoot}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
    ssl = yes
  }
}
service imap {
  process_limit = 256
}
${options.namespace ?? DEFAULT_NAMESPACE}
`,
  );
  let child!: ChildProcess;
  let exited!: Promise<void>;
  let output = '';
  const launch = async () => {
    child = spawn('dovecot', ['-F', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    // ENOENT (dovecot not installed) shows up as no greeting and this line in the error.
    child.on('error', (err) => (output += `could not run dovecot: ${err.message}\n`));
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const current = child;
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    try {
      await waitForGreeting(port, 10_000, () => current.exitCode !== null);
    } catch (err) {
      current.kill('SIGKILL');
      let log = '';
      try {
        log = readFileSync(join(dir, 'dovecot.log'), 'utf8');
      } catch {}
      throw new UnderstudyError(
        'DOVECOT_FAILED',
        'final',
        `dovecot did not start: ${(err as Error).message}\n${output}\n${log}`,
        {
          fix: 'the lines above are its output and log; check that dovecot runs on this machine (dovecot --version)',
          cause: err,
        },
      );
    }
  };
  await launch();
  const info: DovecotInfo = {
    dir,
    host: '127.0.0.1',
    port,
    configFile,
    mailRoot,
    mailUid,
    mailGid,
    pid: child.pid ?? 0,
    ...(tlsPort ? { tlsPort } : {}),
    ...(certFile ? { certFile } : {}),
  };
  /** Kills the server and every process of this instance (login and IMAP processes too). */
  const kill = async () => {
    // SIGKILL is instant; SIGTERM takes about a second. The temp dir holds nothing to flush.
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    try {
      execFileSync('pkill', ['-KILL', '-f', `understudy-dovecot-${port}`], { stdio: 'ignore' });
    } catch {}
  };
  const stop = async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  /** Kills the server (every connection drops) and, after `downMs`, starts it again on the same port and mail. */
  const restart = async (downMs = 0) => {
    await kill();
    await new Promise((r) => setTimeout(r, downMs));
    await launch();
    info.pid = child.pid ?? 0;
  };
  return {
    info,
    get process() {
      return child;
    },
    stop,
    restart,
  };
}

/** Waits for the server's `* OK` greeting, not just an open port. */
async function waitForGreeting(port: number, timeoutMs: number, failed: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failed()) throw new UnderstudyError('DOVECOT_FAILED', 'final', 'dovecot exited');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const done = (v: boolean) => {
        socket.destroy();
        resolve(v);
      };
      socket.setTimeout(1000, () => done(false));
      socket.on('error', () => done(false));
      socket.on('data', (b) => done(b.toString().startsWith('* OK')));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new UnderstudyError('DOVECOT_FAILED', 'final', `no greeting on port ${port} within ${timeoutMs} ms`);
}
