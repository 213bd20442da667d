// Fetches an account's secret on demand from its configured source. Never logs or stores it.
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { SecretError } from './errors.js';
import type { AccountConfig } from './load.js';

/** What to authenticate with: a password for LOGIN/PLAIN, or an OAuth2 access token. */
export type Credential = { type: 'password'; value: string } | { type: 'accessToken'; value: string };

const COMMAND_TIMEOUT_MS = 60_000;

export async function resolveSecret(account: AccountConfig, env = process.env): Promise<Credential> {
  const source = account.secret;
  switch (source.kind) {
    case 'command':
      return {
        type: 'password',
        value: await runSecretCommand(account.name, 'password_command', source.command, env),
      };
    case 'oauth2_command':
      return {
        type: 'accessToken',
        value: await runSecretCommand(account.name, 'oauth2_token_command', source.command, env),
      };
    case 'env': {
      const value = env[source.name];
      if (!value) {
        throw new SecretError(
          'SECRET_ENV_MISSING',
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
 */
async function runSecretCommand(
  account: string,
  key: string,
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const fix = `run the ${key} yourself in a shell and check that it prints the secret on its first line`;
  const { code, stdout, stderr, error } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    error?: Error;
  }>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: '', error: e });
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({
        code: c,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
  if (error || code !== 0) {
    // stderr is shown (it explains failures such as a locked password store); stdout never is.
    const detail = error ? error.message : `exit code ${code ?? 'killed (timeout)'}`;
    const said = stderr.trim().split('\n')[0]?.slice(0, 200);
    throw new SecretError(
      'SECRET_COMMAND_FAILED',
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
      'SECRET_FILE_UNREADABLE',
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
  if (!secret) throw new SecretError('SECRET_KEYRING_FAILED', account, 'no password in the OS keyring', fix);
  return secret;
}

/** Stores a password in the OS keyring for `password_keyring` accounts. */
export async function storeKeyringSecret(service: string, user: string, secret: string): Promise<void> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  await new AsyncEntry(service, user).setPassword(secret);
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? '').trim();
}
