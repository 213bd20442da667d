// Fetches an account's secret on demand from its configured source. Never logs or stores it.
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { SecretError } from './errors.js';
import type { AccountConfig } from './load.js';

/** What to authenticate with: a password for LOGIN/PLAIN, or an OAuth2 access token. */
export type Credential = { type: 'password'; value: string } | { type: 'accessToken'; value: string };

const COMMAND_TIMEOUT_MS = 60_000;

export interface ResolveOptions {
  /** How long a password_command / oauth2_token_command may run (ms); default 60 s. */
  commandTimeoutMs?: number;
}

/**
 * Reads the account's secret from its configured source.
 * @throws SecretError (code SECRET_*) naming the source and the fix; never containing the secret.
 */
export async function resolveSecret(
  account: AccountConfig,
  env = process.env,
  options: ResolveOptions = {},
): Promise<Credential> {
  const source = account.secret;
  const timeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  switch (source.kind) {
    case 'command':
      return {
        type: 'password',
        value: await runSecretCommand(account.name, 'password_command', source.command, env, timeoutMs),
      };
    case 'oauth2_command':
      return {
        type: 'accessToken',
        value: await runSecretCommand(account.name, 'oauth2_token_command', source.command, env, timeoutMs),
      };
    case 'env': {
      const value = env[source.name];
      if (!value) {
        throw new SecretError(
          value === undefined ? 'SECRET_MISSING' : 'SECRET_EMPTY',
          account.name,
          `environment variable ${source.name} is ${value === undefined ? 'not set' : 'empty'}`,
          `export ${source.name}=… in the environment that runs understudy (for systemd: an EnvironmentFile= with mode 0600)`,
        );
      }
      return { type: 'password', value };
    }
    case 'file':
      return { type: 'password', value: await readSecretFile(account.name, source.path) };
    case 'keyring':
      return {
        type: 'password',
        value: await readKeyring(account.name, source.service, source.user),
      };
  }
}

/**
 * Runs a PassCmd-style command through /bin/sh and takes the first line of its stdout (like
 * mbsync's PassCmd). The secret travels over a pipe only: never on a command line.
 * The shell runs in a process group of its own, and the timeout kills the whole group: killing
 * only the shell would leave what it started (`sleep`, a gpg pinentry) running as an orphan that
 * holds the stdout pipe open, so that 'close' would never come.
 */
async function runSecretCommand(
  account: string,
  key: string,
  command: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  const fix = `run the ${key} yourself in a shell and check that it prints the secret on its first line`;
  const { code, stdout, stderr, error, timedOut } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    error?: Error;
    timedOut?: boolean;
  }>((resolve) => {
    // detached: the shell leads a new process group (setsid), so -pid reaches all it started.
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* the group is already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdout.on('error', () => {});
    child.stderr.on('error', () => {});
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: '', error: e });
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      // Whatever the command left behind in its group (a daemonised helper) goes with it.
      killGroup();
      resolve({
        code: c,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
  if (error || timedOut || code !== 0) {
    // stderr is shown (it explains failures such as a locked password store); stdout never is.
    // 127: the shell found no such command (POSIX sh, "Exit Status" of Shell Command Language).
    const detail = error
      ? error.message
      : timedOut
        ? `it did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped (with everything it started)`
        : code === 127
          ? 'the command was not found (exit code 127)'
          : `exit code ${code ?? 'killed by a signal'}`;
    const said = stderr.trim().split('\n')[0]?.slice(0, 200);
    throw new SecretError(
      timedOut ? 'SECRET_TIMEOUT' : code === 127 ? 'SECRET_MISSING' : 'SECRET_COMMAND_FAILED',
      account,
      `${key} failed: ${detail}${said ? ` — it said: ${said}` : ''}`,
      fix,
      error,
    );
  }
  const secret = firstLine(stdout);
  if (!secret) throw new SecretError('SECRET_EMPTY', account, `${key} printed nothing on its first line`, fix);
  return secret;
}

async function readSecretFile(account: string, path: string): Promise<string> {
  let mode: number;
  let content: string;
  try {
    mode = (await stat(path)).mode;
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw new SecretError(
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'SECRET_MISSING' : 'SECRET_FILE_UNREADABLE',
      account,
      `cannot read password_file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      `create it with the password on one line: (umask 077; cat > ${path}) and check password_file`,
      err,
    );
  }
  // Same rule as ssh for private keys: a secret others can read is refused, not silently used.
  if ((mode & 0o077) !== 0) {
    throw new SecretError(
      'SECRET_FILE_PERMISSIONS',
      account,
      `password_file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)})`,
      `chmod 600 ${path}`,
    );
  }
  const secret = firstLine(content);
  if (!secret)
    throw new SecretError(
      'SECRET_EMPTY',
      account,
      `password_file ${path} is empty`,
      'put the password on its first line',
    );
  return secret;
}

async function readKeyring(account: string, service: string, user: string): Promise<string> {
  const fix = `store it with: understudy secret set ${account}   (OS keyring entry service="${service}", user="${user}")`;
  let secret: string | null;
  try {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    secret = await new AsyncEntry(service, user).getPassword();
  } catch (err) {
    throw new SecretError(
      'SECRET_KEYRING_FAILED',
      account,
      `the OS keyring could not be read (${(err as Error).message}); on a server without a desktop session there may be no keyring`,
      `unlock the keyring, or use password_command or password_file instead. ${fix}`,
      err,
    );
  }
  if (secret === null) throw new SecretError('SECRET_MISSING', account, 'no password in the OS keyring', fix);
  if (!secret.trim()) throw new SecretError('SECRET_EMPTY', account, 'the OS keyring holds an empty password', fix);
  return secret;
}

/**
 * Stores a password in the OS keyring for `password_keyring` accounts.
 * @throws SecretError SECRET_KEYRING_FAILED when there is no keyring service (a server without a
 *   desktop session: Secret Service answers AccessDenied or is absent) or it refuses.
 */
export async function storeKeyringSecret(
  account: string,
  service: string,
  user: string,
  secret: string,
): Promise<void> {
  try {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    await new AsyncEntry(service, user).setPassword(secret);
  } catch (err) {
    throw new SecretError(
      'SECRET_KEYRING_FAILED',
      account,
      `the OS keyring refused to store the password (${(err as Error).message || (err as Error).name}); on a server or without a desktop session there is usually no keyring service (Secret Service / gnome-keyring) to store it in`,
      'use password_command (e.g. "pass show mail/work") or password_file (mode 0600) for this account instead, or start a keyring daemon (gnome-keyring-daemon) and unlock it',
      err,
    );
  }
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? '').trim();
}
