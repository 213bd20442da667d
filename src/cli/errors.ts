// Maps every error class to a message for people and an exit code; the one place that does.
// Errors are recognised by their `name` and `code`, not only by `instanceof`: the daemon is a
// bundle of its own (dist/daemon.js) with its own copies of the error classes, and its errors
// reach this printer through `understudy daemon`.
import { isStoreErrorLike, type StoreErrorCode, storeErrorFrom } from '../store/errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** An error the CLI raises itself (bad arguments, unknown account). */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(message: string, code: string, exitCode: ExitCode = EXIT.USAGE, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export interface Reported {
  message: string;
  code: string;
  exitCode: ExitCode;
}

interface Typed {
  name: string;
  code: string;
  message: string;
  kind?: unknown;
  fix?: unknown;
  exitCode?: unknown;
}

function typed(err: unknown): Typed | null {
  const e = err as Partial<Typed> | null;
  if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.code !== 'string') return null;
  return { ...e, name: e.name, code: e.code, message: String(e.message ?? '') } as Typed;
}

const withFix = (message: string, fix: unknown) =>
  typeof fix === 'string' && fix ? `${message}\n  fix: ${fix}` : message;

const STORE_EXIT: Record<StoreErrorCode, ExitCode> = {
  STORE_OPEN_FAILED: EXIT.CANTCREAT,
  STORE_READ_ONLY: EXIT.CANTCREAT,
  STORE_TOO_NEW: EXIT.CANTCREAT,
  STORE_MIGRATION_FAILED: EXIT.SOFTWARE,
  STORE_BUSY: EXIT.TEMPFAIL,
  STORE_DISK_FULL: EXIT.IOERR,
  STORE_IO_ERROR: EXIT.IOERR,
};

/** Exit codes of training's error codes (TrainError), shared by `train`, `model` and the daemon. */
export function trainExitCode(code: string): ExitCode {
  if (code === 'CANCELLED') return EXIT.CANCELLED;
  if (code === 'GPU_BUSY' || code === 'TRAINING_RUNNING') return EXIT.TEMPFAIL;
  if (['NO_TORCH', 'NO_BASE_MODEL', 'BAD_CONFIG', 'MODEL_NOT_FOUND'].includes(code)) return EXIT.CONFIG;
  return EXIT.FAILURE;
}

/**
 * The message (with its fix) and exit code for any error a command throws. Typed errors never
 * print a stack trace; only an error nobody classified does, and only with `debug` (the stack is
 * for a bug report, not for a person who mistyped a setting).
 */
export function describeError(err: unknown, options: { debug?: boolean } = {}): Reported {
  const e = typed(err);
  if (e) {
    switch (e.name) {
      case 'CliError':
        return { message: e.message, code: e.code, exitCode: (e.exitCode as ExitCode) ?? EXIT.FAILURE };
      case 'ConfigError':
        return { message: e.message, code: e.code, exitCode: EXIT.CONFIG };
      case 'SecretError':
        return { message: `cannot get the secret for ${e.message}`, code: e.code, exitCode: EXIT.CONFIG };
      case 'ImapError': {
        const exitCode = e.kind === 'auth' ? EXIT.NOPERM : e.kind === 'temporary' ? EXIT.TEMPFAIL : EXIT.UNAVAILABLE;
        return { message: withFix(e.message, e.fix), code: e.code, exitCode };
      }
      case 'LockError':
        return { message: withFix(e.message, e.fix), code: e.code, exitCode: EXIT.TEMPFAIL };
      case 'TrainError':
        return { message: e.message, code: `TRAIN_${e.code}`, exitCode: trainExitCode(e.code) };
      case 'PullError':
        return {
          message: e.message,
          code: `PULL_${e.code}`,
          exitCode: e.code === 'NETWORK' ? EXIT.TEMPFAIL : EXIT.FAILURE,
        };
      case 'GeneratorError':
        return { message: e.message, code: e.code, exitCode: EXIT.FAILURE };
      case 'DatasetError':
        // Nothing synced yet (train before the first sync) is missing input, not a failure.
        return { message: e.message, code: e.code, exitCode: e.code === 'NOT_SYNCED' ? EXIT.NOINPUT : EXIT.FAILURE };
      case 'AbortError':
        // Ctrl-C at a prompt (readline rejects the pending question with an AbortError).
        return { message: 'cancelled; nothing was changed', code: 'CANCELLED', exitCode: EXIT.CANCELLED };
    }
    if (isStoreErrorLike(err))
      return { message: withFix(e.message, e.fix), code: e.code, exitCode: STORE_EXIT[err.code] ?? EXIT.CANTCREAT };
    if (e.code === 'ABORT_ERR')
      return { message: 'cancelled; nothing was changed', code: 'CANCELLED', exitCode: EXIT.CANCELLED };
  }
  // A full disk or a read-only mount that reached us unwrapped: still the real cause, no stack.
  const local = storeErrorFrom(err);
  if (local) return { message: withFix(local.message, local.fix), code: local.code, exitCode: STORE_EXIT[local.code] };
  const plain = err as Error | undefined;
  const name = plain?.name && plain.name !== 'Error' ? `${plain.name}: ` : '';
  const text = plain?.message ?? String(err);
  return {
    message: options.debug
      ? `unexpected error: ${plain?.stack ?? String(err)}`
      : `unexpected error: ${name}${text}\n  (this is a bug in Understudy; run the command again with --log-level debug to see where it happened, and report it)`,
    code: 'INTERNAL',
    exitCode: EXIT.SOFTWARE,
  };
}
