// How the daemon ends: which failures stop it for good, what it prints when it cannot start, and
// the exit code it gives its service manager (systemd restarts on some codes, launchd on all).
import { EXIT, type ExitCode, exitCodeOf, isUnderstudyError, messageWithFix } from '../src/errors.js';
import { storeErrorFrom } from '../src/store/errors.js';

/**
 * Exit codes that mean "needs the user" (bad command line, unwritable data folder, refused login,
 * broken config or secret): the systemd unit's RestartPreventExitStatus (systemd/understudy.service.in
 * lists the same codes; tests/integration/daemon.test.ts checks they agree).
 */
export const NO_RESTART_EXIT_CODES: readonly number[] = [EXIT.USAGE, EXIT.CANTCREAT, EXIT.NOPERM, EXIT.CONFIG];

/** Why the daemon stopped by itself, as the status file records it. */
export interface PermanentFailure {
  code: string;
  exitCode: number;
  /** One line for `understudy status`. */
  message: string;
}

/**
 * A failure that retrying cannot fix, so the daemon stops (and its unit does not restart it): an
 * error of kind `auth` (the server refused the login: 77) or `config` (the config or the
 * account's secret: 78), with the exit code every command uses for it (src/errors.ts). Null for
 * anything else: `temporary` (network, server down) is retried, `final` skips that piece of work.
 */
export function permanentFailure(err: unknown): PermanentFailure | null {
  if (!isUnderstudyError(err) || (err.kind !== 'auth' && err.kind !== 'config')) return null;
  const fix = err.fix && !err.fixInMessage ? `; fix: ${err.fix}` : '';
  return { code: err.code, exitCode: exitCodeOf(err), message: `${err.message}${fix}` };
}

/**
 * The message and exit code for an error that kept the daemon from starting: a broken config
 * (78), the data folder held by another Understudy (75), an unwritable or full store (73/74).
 * Typed errors read as every command prints them (their message and fix, exitCodeOf); anything
 * else is a bug, shown with its stack only when `debug`.
 */
export function startupFailure(err: unknown, debug = false): { message: string; exitCode: ExitCode } {
  const typed = isUnderstudyError(err) ? err : storeErrorFrom(err);
  if (typed) return { message: messageWithFix(typed), exitCode: exitCodeOf(typed) };
  const plain = err as Error | undefined;
  return {
    message: debug
      ? `unexpected error: ${plain?.stack ?? String(err)}`
      : `unexpected error: ${plain?.message ?? String(err)}\n  (this is a bug in Understudy; run the daemon again with --log-level debug to see where it happened, and report it)`,
    exitCode: EXIT.SOFTWARE,
  };
}

/**
 * The exit code to give the service manager. systemd stops restarting on the codes in
 * RestartPreventExitStatus; launchd has no such list (KeepAlive/SuccessfulExit=false restarts on
 * every non-zero code), so under launchd (the plist sets UNDERSTUDY_SUPERVISOR=launchd) those
 * codes become 0: a stop, not a restart every ThrottleInterval. The real code and cause are in
 * the log and in `understudy status`.
 */
export function serviceExitCode(code: number, env: NodeJS.ProcessEnv = process.env): number {
  if (env.UNDERSTUDY_SUPERVISOR === 'launchd' && NO_RESTART_EXIT_CODES.includes(code)) {
    process.stderr.write(`understudy: exit code ${code}; exiting 0 so that launchd does not restart the daemon\n`);
    return EXIT.OK;
  }
  return code;
}
