// Turns any error a command throws into a message for people and an exit code; the one place that
// does. Typed errors are UnderstudyErrors (src/errors.ts: code, kind, fix; exitCodeOf maps them);
// they are recognised by their fields, not only by `instanceof`: the daemon is a bundle of its own
// (dist/daemon.js) with its own copies of the classes, and its errors reach this printer through
// `understudy daemon`.
import {
  EXIT,
  type ExitCode,
  exitCodeOf,
  isUnderstudyError,
  messageWithFix,
  UnderstudyError,
  type UnderstudyErrorLike,
} from '../errors.js';
import { storeErrorFrom } from '../store/errors.js';

/** The kind a command-line exit code stands for (the CLI picks numbers for its own codes). */
function kindOfExit(exitCode: ExitCode): UnderstudyError['kind'] {
  if (exitCode === EXIT.USAGE) return 'usage';
  if (exitCode === EXIT.CONFIG) return 'config';
  if (exitCode === EXIT.NOPERM) return 'auth';
  if (exitCode === EXIT.TEMPFAIL) return 'temporary';
  return 'final';
}

/**
 * An error the CLI raises itself (bad arguments, unknown account, a step of `demo` or `service`):
 * the command chooses its exit code (default 64, usage); the message says what to do.
 */
export class CliError extends UnderstudyError {
  declare readonly exitCode: ExitCode;
  constructor(message: string, code: string, exitCode: ExitCode = EXIT.USAGE, cause?: unknown) {
    super(code, kindOfExit(exitCode), message, { cause, exitCode, fixInMessage: true });
    this.name = 'CliError';
  }
}

export interface Reported {
  message: string;
  code: string;
  exitCode: ExitCode;
}

/**
 * The errors of other bundles' copies of classes made before UnderstudyError had a `kind` (a
 * daemon of the previous release answering `understudy daemon`): their kind by class name.
 */
const LEGACY_KINDS: Record<string, UnderstudyError['kind']> = {
  ConfigError: 'config',
  SecretError: 'config',
  LockError: 'temporary',
};

function asTyped(err: unknown): UnderstudyErrorLike | null {
  if (isUnderstudyError(err)) return err;
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.code !== 'string') return null;
  const kind = LEGACY_KINDS[e.name];
  return kind ? { name: e.name, code: e.code, kind, message: String(e.message ?? '') } : null;
}

/**
 * The message (with its fix) and exit code for any error a command throws. Typed errors never
 * print a stack trace; only an error nobody classified does, and only with `debug` (the stack is
 * for a bug report, not for a person who mistyped a setting).
 */
export function describeError(err: unknown, options: { debug?: boolean } = {}): Reported {
  const e = asTyped(err);
  if (e) {
    // A secret's message names the account; say that it is the secret that failed.
    const message = e.name === 'SecretError' ? `cannot get the secret for ${e.message}` : messageWithFix(e);
    return { message, code: e.code, exitCode: exitCodeOf(e) };
  }
  const named = err as { name?: unknown; code?: unknown } | null;
  // Ctrl-C at a prompt (readline rejects the pending question with an AbortError).
  if (named?.name === 'AbortError' || named?.code === 'ABORT_ERR')
    return { message: 'cancelled; nothing was changed', code: 'CANCELLED', exitCode: EXIT.CANCELLED };
  // A full disk or a read-only mount that reached us unwrapped: still the real cause, no stack.
  const local = storeErrorFrom(err);
  if (local) return { message: messageWithFix(local), code: local.code, exitCode: exitCodeOf(local) };
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
