// The CLI's error printer: every typed error, also one built by another bundle's copy of its
// class (the daemon is dist/daemon.js), becomes a message and its exit code, never a stack trace.
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/errors.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { ConfigError, SecretError } from '../../src/config/errors.js';
import { ImapError } from '../../src/imap/errors.js';
import { ModelError } from '../../src/model/errors.js';
import { LockError } from '../../src/store/lock.js';

const STACK = /^\s+at .+[:(]/m;

/** The same class declared a second time, as a second bundle does. */
class OtherBundleConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

describe('describeError', () => {
  const cases: [string, unknown, number][] = [
    ['ConfigError', new ConfigError('CONFIG_INVALID', '/c.toml', [{ path: 'x', message: 'bad' }]), EXIT.CONFIG],
    ['ConfigError from another bundle', new OtherBundleConfigError('Config file /c.toml has a problem'), EXIT.CONFIG],
    ['SecretError', new SecretError('SECRET_EMPTY', 'work', 'empty', 'fill it'), EXIT.CONFIG],
    ['ImapError auth', new ImapError('AUTH_FAILED', 'auth', 'refused', 'check the password'), EXIT.NOPERM],
    ['ImapError temporary', new ImapError('CONNECT_FAILED', 'temporary', 'down', 'later'), EXIT.TEMPFAIL],
    [
      'LockError',
      new LockError('held', '/d/understudy.lock', { pid: 1, command: 'x', since: 0 }, 'wait'),
      EXIT.TEMPFAIL,
    ],
    [
      'ModelError NO_BASE_MODEL',
      new ModelError('NO_BASE_MODEL', 'no base model; run understudy model pull'),
      EXIT.CONFIG,
    ],
    [
      'AbortError (Ctrl-C at a prompt)',
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
      EXIT.CANCELLED,
    ],
    [
      'a raw SqliteError: disk full',
      Object.assign(new Error('database or disk is full'), { name: 'SqliteError', code: 'SQLITE_FULL' }),
      EXIT.IOERR,
    ],
    [
      'a raw ENOSPC',
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }),
      EXIT.IOERR,
    ],
    [
      'a raw EROFS',
      Object.assign(new Error('EROFS: read-only file system, mkdir'), { code: 'EROFS', syscall: 'mkdir' }),
      EXIT.CANTCREAT,
    ],
  ];
  for (const [label, err, exitCode] of cases) {
    it(`${label} → exit ${exitCode}, no stack trace`, () => {
      const r = describeError(err);
      expect(r.exitCode).toBe(exitCode);
      expect(r.message).not.toMatch(STACK);
      expect(r.message).not.toMatch(/unexpected error/);
    });
  }

  it('a real bug says so, without a stack unless --log-level debug', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const plain = describeError(bug);
    expect(plain.exitCode).toBe(EXIT.SOFTWARE);
    expect(plain.message).toMatch(/unexpected error: TypeError: Cannot read/);
    expect(plain.message).toMatch(/--log-level debug/);
    expect(plain.message).not.toMatch(STACK);
    expect(describeError(bug, { debug: true }).message).toMatch(STACK);
  });
});
