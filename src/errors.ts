// The one error type of Understudy (UnderstudyError: code, kind, fix, cause) and the one mapping
// from an error to the process's exit code, shared by every command and the daemon.
// Imports nothing: every folder may use it (docs/ARCHITECTURE.md's folder table).

/**
 * What a failure means for whoever runs into it; callers branch on this, never on message text.
 * - `temporary`: retrying later can succeed (network down, server restarting, a lock held); the
 *   daemon retries, a command exits 75.
 * - `auth`: the server refused the login; retrying with the same secret cannot succeed; the daemon stops.
 * - `config`: the config, a secret it points to or a setup step (no PyTorch, no base model) is
 *   missing or wrong; the daemon stops, a command exits 78.
 * - `usage`: the command line is wrong (exit 64).
 * - `final`: this piece of work cannot be done as asked (a corrupt model, a refused certificate);
 *   retrying the same thing fails the same way, but other work goes on.
 */
export type ErrorKind = 'temporary' | 'auth' | 'final' | 'usage' | 'config';

export const ERROR_KINDS: readonly ErrorKind[] = ['temporary', 'auth', 'final', 'usage', 'config'];

// Exit codes, from sysexits.h where one fits, so service managers and scripts can branch on them
// (systemd: RestartPreventExitStatus=64 73 77 78 stops a restart loop on a broken config, a refused
// login or an unwritable data folder; systemd/understudy.service.in must list the same codes).
// README's exit code table documents the same numbers.
export const EXIT = {
  OK: 0,
  /** Something failed (for sync: some mailboxes could not be synced; the rest were). */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 64,
  /** The input (a message given on the command line) is malformed. */
  DATAERR: 65,
  /** The input does not exist yet: nothing has been synced, so there is no mail to build a dataset from. */
  NOINPUT: 66,
  /** The server refused in a way retrying will not fix (TLS trust, missing STARTTLS, …). */
  UNAVAILABLE: 69,
  /** A bug or an unexpected state; the message says what happened. */
  SOFTWARE: 70,
  /** The local store could not be opened or written (read-only file system, permissions). */
  CANTCREAT: 73,
  /** The disk is full or failed while writing the local store. */
  IOERR: 74,
  /** Temporary failure (network, server down, throttled, another Understudy holds the lock): try again later. */
  TEMPFAIL: 75,
  /** Login refused: wrong user, password or token. */
  NOPERM: 77,
  /** The config (or a secret it points to) is missing or invalid. */
  CONFIG: 78,
  /** Stopped by Ctrl-C (128 + SIGINT), after saving what can be resumed. */
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface UnderstudyErrorOptions {
  /** One line telling the user what to do; leave it out only where there is truly nothing to do. */
  fix?: string;
  /** The error this one explains (ES2022 error cause): the socket's, SQLite's, the worker's. */
  cause?: unknown;
  /**
   * True when `message` already says the fix in its own words (a config error lists one fix per
   * problem; the Python worker's messages end with what to do): printers then do not repeat it.
   */
  fixInMessage?: boolean;
  /**
   * A sysexits number chosen by the command line for its own codes (CliError). Everything else is
   * mapped by `exitCodeOf` from code and kind; do not set this elsewhere.
   */
  exitCode?: ExitCode;
}

/**
 * Every error Understudy throws on purpose. `code` is a constant string callers branch on (e.g.
 * 'CONFIG_INVALID', 'AUTH_FAILED'); `kind` says whether to retry, stop or go on; `fix` is the one
 * line for the user; `cause` the original error. Subclasses (ConfigError, ImapError, StoreError, …)
 * only fill these in from their own arguments.
 */
export class UnderstudyError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly fix: string | undefined;
  readonly fixInMessage: boolean;
  readonly exitCode: ExitCode | undefined;

  constructor(code: string, kind: ErrorKind, message: string, options: UnderstudyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UnderstudyError';
    this.code = code;
    this.kind = kind;
    this.fix = options.fix || undefined;
    this.fixInMessage = options.fixInMessage ?? false;
    this.exitCode = options.exitCode;
  }
}

/** The fields of an UnderstudyError, as read from any object that has them. */
export interface UnderstudyErrorLike {
  name: string;
  code: string;
  kind: ErrorKind;
  message: string;
  fix?: string;
  fixInMessage?: boolean;
  exitCode?: ExitCode;
  cause?: unknown;
}

/**
 * True for an UnderstudyError, also one built by another copy of this module: the daemon is a
 * bundle of its own (dist/daemon.js), so its errors reach the CLI's printer as instances of a
 * different class with the same fields; `instanceof` alone would miss them.
 */
export function isUnderstudyError(err: unknown): err is UnderstudyErrorLike {
  if (err instanceof UnderstudyError) return true;
  const e = err as Partial<UnderstudyErrorLike> | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    ERROR_KINDS.includes(e.kind as ErrorKind)
  );
}

/** The exit code of each kind, where the code does not say something more precise. */
const KIND_EXIT: Record<ErrorKind, ExitCode> = {
  temporary: EXIT.TEMPFAIL,
  auth: EXIT.NOPERM,
  config: EXIT.CONFIG,
  usage: EXIT.USAGE,
  final: EXIT.FAILURE,
};

/**
 * Codes whose exit code is more precise than their kind's (sysexits has a number for them).
 * Only `final` errors are refined: a temporary failure is always 75 and a refused login 77, so a
 * service manager's restart rule depends on the kind alone.
 */
const CODE_EXIT: Record<string, ExitCode> = {
  // The server refused in a way retrying will not fix (RFC 3501 NO/BAD, TLS, STARTTLS).
  TLS_UNTRUSTED: EXIT.UNAVAILABLE,
  TLS_FAILED: EXIT.UNAVAILABLE,
  STARTTLS_UNAVAILABLE: EXIT.UNAVAILABLE,
  MAILBOX_UNAVAILABLE: EXIT.UNAVAILABLE,
  SERVER_REFUSED: EXIT.UNAVAILABLE,
  // The local store.
  STORE_OPEN_FAILED: EXIT.CANTCREAT,
  STORE_READ_ONLY: EXIT.CANTCREAT,
  STORE_TOO_NEW: EXIT.CANTCREAT,
  STORE_MIGRATION_FAILED: EXIT.SOFTWARE,
  STORE_DISK_FULL: EXIT.IOERR,
  STORE_IO_ERROR: EXIT.IOERR,
  // Nothing synced yet: the input does not exist (train or dataset build before the first sync).
  NOT_SYNCED: EXIT.NOINPUT,
  // No model to draft with is a setup step still to do (EX_CONFIG, so a service does not
  // restart-loop on it); it is `final`, not `config`, because the daemon goes on and picks up the
  // model once `model pull` or a training makes one.
  MODEL_UNAVAILABLE: EXIT.CONFIG,
  // Stopped by the user (Ctrl-C), after saving what can be resumed.
  CANCELLED: EXIT.CANCELLED,
  // A version number that names no version: a bad argument, as `model export`'s NO_SUCH_VERSION.
  VERSION_NOT_FOUND: EXIT.USAGE,
};

/**
 * The process exit code (sysexits.h numbers, README's table) for an error: the command line's own
 * choice where it made one, else the code's (for `final` errors), else the kind's.
 */
export function exitCodeOf(err: Pick<UnderstudyErrorLike, 'code' | 'kind' | 'exitCode'>): ExitCode {
  if (err.exitCode !== undefined) return err.exitCode;
  if (err.kind === 'final') return CODE_EXIT[err.code] ?? KIND_EXIT.final;
  return KIND_EXIT[err.kind];
}

/** The message for a person: the error's message, then its fix on its own line unless the message says it already. */
export function messageWithFix(err: Pick<UnderstudyErrorLike, 'message' | 'fix' | 'fixInMessage'>): string {
  const shown = !err.fix || err.fixInMessage || err.message.includes(err.fix);
  return shown ? err.message : `${err.message}\n  fix: ${err.fix}`;
}

/**
 * The fields of a structured log line for an error (pino's JSON): `code`, `kind` and `fix` of an
 * UnderstudyError, `err` its message; for anything else (a bug) the message and the class name.
 */
export function logFields(err: unknown): { code?: string; kind?: ErrorKind; fix?: string; err: string } {
  if (isUnderstudyError(err))
    return { code: err.code, kind: err.kind, ...(err.fix ? { fix: err.fix } : {}), err: err.message };
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : undefined;
  return { ...(code ? { code } : {}), err: typeof e?.message === 'string' ? e.message : String(err) };
}
