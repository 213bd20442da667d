// Secret sources: PassCmd-style commands, environment, 0600 files; failures never leak secrets.
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    expect(err.code).toBe('SECRET_ENV_MISSING');
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
    expect((await failure({ kind: 'file', path: join(dir, 'missing') })).code).toBe('SECRET_FILE_UNREADABLE');
  });
});
