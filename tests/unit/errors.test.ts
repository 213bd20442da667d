// src/errors.ts: every typed error of the project is an UnderstudyError with a code, a kind, a fix
// and a cause, and ONE mapping gives its exit code: the numbers of README's exit code table.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { ConfigError, SecretError } from '../../src/config/errors.js';
import { DatasetError } from '../../src/dataset/build.js';
import { DraftError } from '../../src/drafts/errors.js';
import {
  ERROR_KINDS,
  EXIT,
  exitCodeOf,
  isUnderstudyError,
  logFields,
  messageWithFix,
  UnderstudyError,
} from '../../src/errors.js';
import { GeneratorError } from '../../src/generate/generator.js';
import { ImapError } from '../../src/imap/errors.js';
import { MessageDecodeError } from '../../src/mail/message-decode.js';
import { PullError } from '../../src/model/pull.js';
import { StoreError } from '../../src/store/errors.js';
import { LockError } from '../../src/store/lock.js';
import { TrainError } from '../../src/train/errors.js';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('UnderstudyError', () => {
  it('carries code, kind, fix and the ES2022 cause', () => {
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const err = new UnderstudyError('CONNECT_FAILED', 'temporary', 'cannot reach mail:993', { fix: 'later', cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.code, err.kind, err.fix, err.cause]).toEqual(['CONNECT_FAILED', 'temporary', 'later', cause]);
    expect(isUnderstudyError(err)).toBe(true);
  });

  it('is recognised by its fields when another bundle built it (the daemon is dist/daemon.js)', () => {
    const copy = Object.assign(new Error('refused'), { name: 'ImapError', code: 'AUTH_FAILED', kind: 'auth' });
    expect(isUnderstudyError(copy)).toBe(true);
    expect(exitCodeOf(copy as never)).toBe(EXIT.NOPERM);
    expect(isUnderstudyError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isUnderstudyError(Object.assign(new Error('x'), { code: 'X', kind: 'weird' }))).toBe(false);
    expect(isUnderstudyError(null)).toBe(false);
  });

  it('prints the fix on its own line once, never twice', () => {
    expect(messageWithFix(new UnderstudyError('X', 'final', 'broke', { fix: 'mend it' }))).toBe(
      'broke\n  fix: mend it',
    );
    expect(messageWithFix(new UnderstudyError('X', 'final', 'broke; mend it', { fix: 'mend it' }))).toBe(
      'broke; mend it',
    );
    expect(messageWithFix(new SecretError('SECRET_EMPTY', 'work', 'empty', 'fill it'))).toBe(
      'account "work": empty\n  fix: fill it',
    );
    expect(messageWithFix(new UnderstudyError('X', 'final', 'nothing to do'))).toBe('nothing to do');
  });

  it('gives log lines code, kind and fix, and a bug its class name', () => {
    const imap = new ImapError('TIMEOUT', 'temporary', 'mail:993 stopped responding', 'raise sync.timeout_s');
    expect(logFields(imap)).toEqual({
      code: 'TIMEOUT',
      kind: 'temporary',
      fix: 'raise sync.timeout_s',
      err: 'mail:993 stopped responding',
    });
    expect(logFields(new TypeError('x is undefined'))).toEqual({ code: 'TypeError', err: 'x is undefined' });
  });
});

describe('exitCodeOf: one mapping, the numbers of README’s table', () => {
  const holder = { pid: 1, command: 'understudy daemon', since: 0 };
  const cases: [string, UnderstudyError, number][] = [
    [
      'ConfigError',
      new ConfigError('CONFIG_INVALID', '/c.toml', [{ path: 'x', message: 'bad', fix: 'set x to 1' }]),
      78,
    ],
    ['SecretError', new SecretError('SECRET_COMMAND_FAILED', 'work', 'exit 1', 'fix the command'), 78],
    ['ImapError auth', new ImapError('AUTH_FAILED', 'auth', 'refused', 'check the password'), 77],
    ['ImapError temporary', new ImapError('CONNECT_FAILED', 'temporary', 'down', 'later'), 75],
    ['ImapError TLS_UNTRUSTED', new ImapError('TLS_UNTRUSTED', 'final', 'untrusted', 'ca_file'), 69],
    ['ImapError SERVER_REFUSED temporary', new ImapError('SERVER_REFUSED', 'temporary', 'INUSE', 'later'), 75],
    ['ImapError SERVER_REFUSED final', new ImapError('SERVER_REFUSED', 'final', 'NO', 'see message'), 69],
    ['LockError', new LockError('held', '/d/understudy.lock', holder, 'wait'), 75],
    ['StoreError read-only', new StoreError('STORE_READ_ONLY', 'EROFS'), 73],
    ['StoreError disk full', new StoreError('STORE_DISK_FULL', 'ENOSPC'), 74],
    ['StoreError busy', new StoreError('STORE_BUSY', 'locked'), 75],
    ['StoreError migration', new StoreError('STORE_MIGRATION_FAILED', 'migration 9 failed'), 70],
    ['DatasetError NOT_SYNCED', new DatasetError('NOT_SYNCED', 'nothing synced'), 66],
    ['DraftError MODEL_UNAVAILABLE', new DraftError('MODEL_UNAVAILABLE', 'no model', 'pull one'), 78],
    ['TrainError GPU_BUSY', new TrainError('GPU_BUSY', 'busy'), 75],
    ['TrainError TRAINING_RUNNING', new TrainError('TRAINING_RUNNING', 'running'), 75],
    ['TrainError EMPTY_DATASET', new TrainError('EMPTY_DATASET', 'no examples'), 1],
    ['PullError NETWORK', new PullError('NETWORK', 'offline'), 75],
    ['PullError UNKNOWN_MODEL (command line)', new PullError('UNKNOWN_MODEL', 'no such repo'), 64],
    ['PullError UNKNOWN_MODEL (config)', new PullError('UNKNOWN_MODEL', 'no such repo', undefined, 'config'), 78],
    ['PullError BAD_MODEL_NAME (config)', new PullError('BAD_MODEL_NAME', 'llama3:8b', undefined, 'config'), 78],
    ['PullError NO_SAFETENSORS', new PullError('NO_SAFETENSORS', 'only .bin'), 1],
    ['GeneratorError', new GeneratorError('MODEL_MISSING', 'no onnx'), 1],
    ['MessageDecodeError', new MessageDecodeError('empty', 'EMPTY'), 1],
    ['CliError default (usage)', new CliError('bad flag', 'BAD_FLAG'), 64],
    ['CliError with its own number', new CliError('not a message', 'MESSAGE_EMPTY', EXIT.DATAERR), 65],
  ];
  for (const [label, err, exit] of cases) {
    it(`${label} (${err.kind}) → ${exit}`, () => {
      expect(isUnderstudyError(err)).toBe(true);
      expect(ERROR_KINDS).toContain(err.kind);
      expect(exitCodeOf(err)).toBe(exit);
      // Every exit code a typed error can get is a row of README's table.
      expect(README).toMatch(new RegExp(`^\\| ${exit} +\\|`, 'm'));
    });
  }

  it('a temporary failure is always 75 and a refused login 77, whatever its code', () => {
    expect(exitCodeOf({ code: 'STORE_DISK_FULL', kind: 'temporary' })).toBe(EXIT.TEMPFAIL);
    expect(exitCodeOf({ code: 'TLS_UNTRUSTED', kind: 'auth' })).toBe(EXIT.NOPERM);
    expect(exitCodeOf({ code: 'ANYTHING', kind: 'config' })).toBe(EXIT.CONFIG);
    expect(exitCodeOf({ code: 'ANYTHING', kind: 'usage' })).toBe(EXIT.USAGE);
    expect(exitCodeOf({ code: 'ANYTHING', kind: 'final' })).toBe(EXIT.FAILURE);
  });

  it('every error class of src fills in a fix (what the user can do)', () => {
    // A CliError's message is itself the instruction ("--limit must be a positive integer").
    for (const [label, err] of cases) if (!(err instanceof CliError)) expect(err.fix, label).toMatch(/\w{3}/);
  });
});
