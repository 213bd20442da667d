// Maps every error class to a message for people and an exit code; the one place that does.
import { ConfigError, SecretError } from '../config/errors.js';
import { ImapError } from '../imap/errors.js';
import { StoreError } from '../store/errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** An error the CLI raises itself (bad arguments, unknown account). */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(message: string, code: string, exitCode: ExitCode = EXIT.USAGE) {
    super(message);
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

export function describeError(err: unknown): Reported {
  if (err instanceof CliError) return { message: err.message, code: err.code, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, code: err.code, exitCode: EXIT.CONFIG };
  if (err instanceof SecretError)
    return {
      message: `cannot get the secret for ${err.message}`,
      code: err.code,
      exitCode: EXIT.CONFIG,
    };
  if (err instanceof ImapError) {
    const exitCode = err.kind === 'auth' ? EXIT.NOPERM : err.kind === 'temporary' ? EXIT.TEMPFAIL : EXIT.UNAVAILABLE;
    return { message: `${err.message}\n  fix: ${err.fix}`, code: err.code, exitCode };
  }
  if (err instanceof StoreError) return { message: err.message, code: err.code, exitCode: EXIT.CANTCREAT };
  const e = err as Error;
  return {
    message: `unexpected error: ${e?.stack ?? String(err)}`,
    code: 'INTERNAL',
    exitCode: EXIT.SOFTWARE,
  };
}
