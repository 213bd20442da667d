// The daemon's small parts: its command line, the typed outcome of a training child (branched on
// by field, never by text), which failures stop it, and the exit code for its service manager.
import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from '../../daemon/args.js';
import { NO_RESTART_EXIT_CODES, permanentFailure, serviceExitCode, startupFailure } from '../../daemon/exit.js';
import { describeOutcome, outcomeOf } from '../../daemon/train-child.js';
import { ImapError } from '../../src/imap/errors.js';

describe('daemon command line', () => {
  it('reads the global options around the word daemon', () => {
    expect(parseDaemonArgs(['daemon'])).toEqual({});
    expect(parseDaemonArgs(['--config', '/c.toml', '--log-level', 'info', 'daemon'])).toEqual({
      configPath: '/c.toml',
      logLevel: 'info',
    });
    expect(parseDaemonArgs(['-c', '/c.toml', 'daemon', '--log-level=debug'])).toEqual({
      configPath: '/c.toml',
      logLevel: 'debug',
    });
  });

  it('a wrong command line is a usage error (64) that says what is wrong and where help is', () => {
    for (const argv of [['daemon', '--bogus'], ['--log-level', 'loud', 'daemon'], ['daemon', 'extra'], ['--config']]) {
      const err = (() => {
        try {
          parseDaemonArgs(argv);
        } catch (e) {
          return e;
        }
      })();
      const failure = startupFailure(err);
      expect(failure.exitCode, argv.join(' ')).toBe(64);
      expect(failure.message).toMatch(/understudy daemon --help/);
      expect(failure.message).not.toMatch(/unexpected error/);
    }
  });
});

describe('training child outcome', () => {
  const result = (promoted: boolean) =>
    JSON.stringify({ promoted, version: { id: 4, dir: '/m/4' }, decision: 'beats version 3', steps: 10 });

  it('a promoted version is a field, and the sentence keeps the log format', () => {
    const o = outcomeOf(0, result(true), 'training step 10/10\n');
    expect(o).toEqual({ status: 'promoted', version: 4, decision: 'beats version 3' });
    expect(describeOutcome(o)).toBe('promoted version 4: beats version 3');
    const n = outcomeOf(0, result(false), '');
    expect(n.status).toBe('not_promoted');
    expect(describeOutcome(n)).toBe('not promoted version 4: beats version 3');
  });

  it('a decision text that says "promoted" does not make a version promoted', () => {
    const o = outcomeOf(
      0,
      JSON.stringify({ promoted: false, version: { id: 5 }, decision: 'promoted before: version 4 stays' }),
      '',
    );
    expect(o.status).toBe('not_promoted');
  });

  it('a failing child, a signal and an unreadable result are failures with their exit code', () => {
    expect(outcomeOf(75, '', 'working…\nthe GPU is busy\n')).toEqual({
      status: 'failed',
      exitCode: 75,
      message: 'the GPU is busy',
    });
    expect(describeOutcome(outcomeOf(130, '', 'stopped'))).toBe('failed (exit 130): stopped');
    const garbled = outcomeOf(0, 'not json', '');
    expect(garbled).toMatchObject({ status: 'failed', exitCode: 0 });
    expect(outcomeOf(0, JSON.stringify({ promoted: 'yes' }), '').status).toBe('failed');
    expect(describeOutcome({ status: 'failed', exitCode: null, message: 'spawn EAGAIN' })).toBe(
      'failed to start: spawn EAGAIN',
    );
    expect(describeOutcome({ status: 'skipped', reason: '3 new examples' })).toBe('skipped: 3 new examples');
  });
});

describe('daemon exit', () => {
  it('stops for a refused login (77) or a config problem (78), by kind; retries the rest', () => {
    const auth = new ImapError('AUTH_FAILED', 'auth', 'h:993 rejected the login for ann', 'check user and the secret');
    expect(permanentFailure(auth)).toEqual({
      code: 'AUTH_FAILED',
      exitCode: 77,
      message: 'h:993 rejected the login for ann; fix: check user and the secret',
    });
    // A config error as another bundle's copy of the class reaches it: recognised by its fields.
    const config = { name: 'ConfigError', code: 'CONFIG_INVALID', kind: 'config', message: 'bogus_key: unknown key' };
    expect(permanentFailure(config)?.exitCode).toBe(78);
    expect(permanentFailure(new ImapError('CONNECTION_LOST', 'temporary', 'gone', 'wait'))).toBeNull();
    expect(permanentFailure(new Error('AUTH_FAILED'))).toBeNull();
  });

  it('under launchd the codes that need the user become 0; systemd gets them as they are', () => {
    expect(NO_RESTART_EXIT_CODES).toEqual(expect.arrayContaining([64, 73, 77, 78]));
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(serviceExitCode(78, { UNDERSTUDY_SUPERVISOR: 'launchd' })).toBe(0);
      expect(serviceExitCode(75, { UNDERSTUDY_SUPERVISOR: 'launchd' })).toBe(75);
    } finally {
      process.stderr.write = stderr;
    }
    expect(serviceExitCode(78, {})).toBe(78);
  });
});
