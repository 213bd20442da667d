// The pure parts of the newcomer leftovers: init's TLS default from the port, the failure streak
// that keeps a retry loop from repeating the same log line, the JSON error object of --json
// failures, and the training worker's start without `nice` on PATH (named, with its fix).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { defaultTls } from '../../src/cli/commands/init.js';
import { CliError, describeError } from '../../src/cli/errors.js';
import { jsonError, trackJsonOption } from '../../src/cli/json-error.js';
import { ConfigError } from '../../src/config/errors.js';
import { EXIT, exitCodeOf } from '../../src/errors.js';
import { classifyImapError } from '../../src/imap/errors.js';
import { FailureStreak } from '../../src/imap/failure-streak.js';
import { WorkerError } from '../../src/worker/errors.js';
import { onPath, runWorker } from '../../src/worker/run.js';

describe('init: defaultTls follows the port', () => {
  it('993 → implicit anywhere; 143 → starttls, or none on loopback; no port → by host', () => {
    expect(defaultTls('127.0.0.1', '993')).toBe('implicit');
    expect(defaultTls('localhost', '993')).toBe('implicit');
    expect(defaultTls('::1', '993')).toBe('implicit');
    expect(defaultTls('imap.example.com', '993')).toBe('implicit');
    expect(defaultTls('imap.example.com', '143')).toBe('starttls');
    expect(defaultTls('127.0.0.1', '143')).toBe('none');
    expect(defaultTls('imap.example.com', undefined)).toBe('implicit');
    expect(defaultTls('localhost', undefined)).toBe('none');
    // Another port says nothing about TLS: the host's default.
    expect(defaultTls('127.0.0.1', '10143')).toBe('none');
    expect(defaultTls('mail.example.org', '1993')).toBe('implicit');
  });
});

describe('FailureStreak', () => {
  const silent = classifyImapError({ code: 'GREETING_TIMEOUT' }, { host: 'h', port: 993, user: 'u' });
  const refused = classifyImapError({ code: 'ECONNREFUSED' }, { host: 'h', port: 993, user: 'u' });

  it('the same failure is new once; another cause, or one after a success, is new again', () => {
    const streak = new FailureStreak();
    expect(streak.isNew(silent)).toBe(true);
    expect(streak.isNew(silent)).toBe(false);
    expect(streak.isNew(silent)).toBe(false);
    expect(streak.count).toBe(3);
    expect(streak.isNew(refused)).toBe(true);
    expect(streak.count).toBe(1);
    streak.reset();
    expect(streak.isNew(refused)).toBe(true);
    // Untyped errors too, by code and message.
    expect(streak.isNew(new Error('boom'))).toBe(true);
    expect(streak.isNew(new Error('boom'))).toBe(false);
  });
});

describe('the JSON error object of a --json failure', () => {
  it('a typed error: code, kind, message and fix apart, the exit code', () => {
    const err = new ConfigError('CONFIG_NOT_FOUND', '/x/config.toml', [
      { path: '', message: 'the file does not exist', fix: 'run `understudy init`' },
    ]);
    const json = jsonError(err, describeError(err));
    expect(json.ok).toBe(false);
    expect(json.error).toMatchObject({ code: 'CONFIG_NOT_FOUND', kind: 'config', exitCode: exitCodeOf(err) });
    expect(json.error.message).toContain('the file does not exist');
  });

  it('a bug: INTERNAL, exit 70, with the advice to report it', () => {
    const err = new TypeError('x is undefined');
    const json = jsonError(err, describeError(err));
    expect(json.error).toMatchObject({ code: 'INTERNAL', exitCode: EXIT.SOFTWARE });
    expect(json.error.message).toMatch(/bug in Understudy/);
  });

  it('trackJsonOption: the --json of the command that ran, or of the words before -- when parsing failed', async () => {
    const program = new Command('t').exitOverride();
    let ran = false;
    program
      .command('a')
      .option('--json')
      .action(() => {
        ran = true;
      });
    program.command('b').action(() => {});
    const withJson = trackJsonOption(program, ['a', '--json']);
    await program.parseAsync(['node', 't', 'a', '--json']);
    expect(ran).toBe(true);
    expect(withJson.requested()).toBe(true);
    const program2 = new Command('t').exitOverride();
    program2.command('b').action(() => {});
    expect(trackJsonOption(program2, ['b', '--', '--json']).requested()).toBe(false);
    expect(trackJsonOption(program2, ['b', '--json']).requested()).toBe(true);
    const usage = new CliError('bad', 'BAD_ARGUMENT');
    expect(jsonError(usage, describeError(usage)).error.exitCode).toBe(EXIT.USAGE);
  });
});

describe('training without nice on PATH', () => {
  it('NO_NICE names nice and the fix (coreutils, or train.nice = 0), not PyTorch', () => {
    const empty = mkdtempSync(join(tmpdir(), 'understudy-no-nice-'));
    expect(onPath('nice', empty)).toBe(false);
    let thrown: unknown;
    try {
      runWorker({ python: 'python3', command: 'train', config: {}, nice: 10, env: { PATH: empty }, sandbox: 'off' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(WorkerError);
    const err = thrown as WorkerError;
    expect(err.code).toBe('NO_NICE');
    expect(err.message).toMatch(/nice is not found on PATH/);
    expect(err.fix).toMatch(/coreutils/);
    expect(err.fix).toMatch(/train\.nice = 0/);
    expect(err.fix).not.toMatch(/PyTorch|torch/);
    expect(exitCodeOf(err)).toBe(EXIT.CONFIG);
  });

  it('onPath finds an executable file, not a folder or a file without the x bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-on-path-'));
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    expect(onPath('tool', dir)).toBe(false);
    chmodSync(join(dir, 'tool'), 0o755);
    expect(onPath('tool', `/nonexistent:${dir}`)).toBe(true);
    expect(onPath('tool', undefined)).toBe(false);
  });
});
