// Secret sources: PassCmd-style commands, environment, 0600 files; failures never leak secrets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretError } from '../../src/config/errors.js';
import type { AccountConfig, SecretSource } from '../../src/config/load.js';
import { resolveSecret } from '../../src/config/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'understudy-secrets-'));
const account = (secret: SecretSource): AccountConfig => ({
  name: 'work',
  host: 'h',
  port: 993,
  tls: 'implicit',
  allowInsecure: false,
  tlsRejectUnauthorized: true,
  user: 'u',
  addresses: [],
  secret,
  folders: { include: [], exclude: [] },
});

async function failure(secret: SecretSource, env: NodeJS.ProcessEnv = {}): Promise<SecretError> {
  const err = await resolveSecret(account(secret), env).catch((e) => e);
  expect(err).toBeInstanceOf(SecretError);
  return err as SecretError;
}

describe('secrets', () => {
  it('password_command: the first line of stdout, like mbsync PassCmd', async () => {
    const credential = await resolveSecret(
      account({ kind: 'command', command: "printf 'hunter2\\nsecond line\\n'" }),
      process.env,
    );
    expect(credential).toEqual({ type: 'password', value: 'hunter2' });
  });

  it('a failing command reports its stderr and exit code, never its stdout', async () => {
    const err = await failure(
      { kind: 'command', command: "echo leaked-secret; echo 'gpg: decryption failed' >&2; exit 2" },
      process.env,
    );
    expect(err.code).toBe('SECRET_COMMAND_FAILED');
    expect(err.message).toContain('exit code 2');
    expect(err.message).toContain('gpg: decryption failed');
    expect(err.message).not.toContain('leaked-secret');
    expect((await failure({ kind: 'command', command: 'true' }, process.env)).code).toBe('SECRET_EMPTY');
  });

  it('oauth2_token_command yields an access token', async () => {
    expect(await resolveSecret(account({ kind: 'oauth2_command', command: 'echo ya29.token' }), process.env)).toEqual({
      type: 'accessToken',
      value: 'ya29.token',
    });
  });

  it('environment variables', async () => {
    expect(await resolveSecret(account({ kind: 'env', name: 'PW' }), { PW: 's3cret' })).toEqual({
      type: 'password',
      value: 's3cret',
    });
    const err = await failure({ kind: 'env', name: 'PW' });
    expect(err.code).toBe('SECRET_MISSING');
    expect(err.message).toMatch(/PW is not set/);
  });

  it('files must be private (0600) and non-empty', async () => {
    const good = join(dir, 'good.pass');
    writeFileSync(good, 'pa ss\n', { mode: 0o600 });
    expect(await resolveSecret(account({ kind: 'file', path: good }))).toEqual({
      type: 'password',
      value: 'pa ss',
    });
    const open = join(dir, 'open.pass');
    writeFileSync(open, 'pw\n', { mode: 0o644 });
    const err = await failure({ kind: 'file', path: open });
    expect(err.code).toBe('SECRET_FILE_PERMISSIONS');
    expect(err.fix).toBe(`chmod 600 ${open}`);
    expect((await failure({ kind: 'file', path: join(dir, 'missing') })).code).toBe('SECRET_MISSING');
  });
});

describe('password_command timeout', () => {
  it('kills the whole process group: a command that started a child (sleep, a pinentry) leaves no orphan', async () => {
    const work = mkdtempSync(join(tmpdir(), 'understudy-secret-group-'));
    const childPid = join(work, 'child.pid');
    // The shell starts a child that keeps stdout open, then waits for it: what gpg's pinentry does.
    const command = `sleep 60 & echo $! > ${childPid}; wait`;
    const started = Date.now();
    const err = await resolveSecret(account({ kind: 'command', command }), process.env, {
      commandTimeoutMs: 400,
    }).catch((e) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(SecretError);
    expect(err.code).toBe('SECRET_TIMEOUT');
    expect(err.message).toMatch(/did not finish within/);
    const pid = Number(readFileSync(childPid, 'utf8'));
    // Running = it exists and is not a zombie waiting to be reaped (a container's pid 1 may be slow).
    const running = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    let alive = running();
    for (let i = 0; i < 20 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = running();
    }
    if (alive) process.kill(pid, 'SIGKILL'); // do not leave it behind even when the test fails
    console.log(
      `password_command stopped after ${took} ms; its child ${pid} ${alive ? 'was LEFT RUNNING' : 'is gone'}`,
    );
    expect(alive, 'the child of the password_command outlived the timeout').toBe(false);
    expect(took).toBeLessThan(30_000);
  });
});
