// `understudy daemon`: run the service in the foreground (what systemd and launchd start).
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .summary('run the service in the foreground (for systemd / launchd)')
    .description(
      'Syncs, then watches INBOX with IMAP IDLE and drafts replies to new mail within seconds; syncs\n' +
        'every folder on daemon.sync_cron and trains on daemon.train_cron when there are enough new\n' +
        'examples and the GPU is free. Logs JSON lines to stdout. SIGTERM or Ctrl-C stops it cleanly\n' +
        '(exit 0); SIGHUP reloads the config. Install it as a service with `understudy service install`.',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 stopped by a signal, 73 data folder not writable, 74 disk full, 75 another\n' +
        'Understudy holds the data folder, 77 login refused (stops instead of retrying; `understudy\n' +
        'status` says why), 78 config or secret problem. The service is not restarted on 64, 73, 77, 78.',
    )
    .action(async (_opts: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      // The daemon is its own bundle (dist/daemon.js): the CLI library code never imports it.
      const { runDaemon } = (await import(
        new URL('./daemon.js', import.meta.url).href
      )) as typeof import('../../../daemon/main.js');
      let code: number;
      try {
        code = await runDaemon({
          ...(globals.config ? { configPath: globals.config } : {}),
          ...(globals.logLevel ? { logLevel: globals.logLevel } : {}),
        });
      } catch (err) {
        // A broken config at start (78), the data folder held by another daemon (75), an
        // unwritable store (73/74): the same message and code as every other command.
        const reported = describeError(err);
        process.stderr.write(`understudy: ${reported.message}\n`);
        code = reported.exitCode;
      }
      process.exitCode = serviceExitCode(code);
    });
}

/** Exit codes that mean "needs the user": the systemd unit's RestartPreventExitStatus. */
export const NO_RESTART_EXIT_CODES: readonly number[] = [EXIT.USAGE, EXIT.CANTCREAT, EXIT.NOPERM, EXIT.CONFIG];

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
