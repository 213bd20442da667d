// `understudy daemon`: run the service in the foreground (what systemd and launchd start).
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';

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
    .action(async (_opts: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      // The daemon is its own bundle (dist/daemon.js): the CLI library code never imports it.
      const { runDaemon } = (await import(
        new URL('./daemon.js', import.meta.url).href
      )) as typeof import('../../../daemon/main.js');
      process.exitCode = await runDaemon({
        ...(globals.config ? { configPath: globals.config } : {}),
        ...(globals.logLevel ? { logLevel: globals.logLevel } : {}),
      });
    });
}
