// `understudy daemon`: its place in `understudy --help` and its own --help. The daemon itself is
// another process entry (daemon/entry.ts, bundled as dist/daemon.js): bin/understudy.js starts it
// for `understudy [options] daemon`, so the CLI never imports it (docs/ARCHITECTURE.md).
import type { Command } from 'commander';
import { CliError } from '../errors.js';
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
    .action(() => {
      // Reached only when dist/understudy.js is run without bin/understudy.js, which dispatches
      // `daemon` to dist/daemon.js before the CLI parses anything.
      throw new CliError(
        'the daemon is started by bin/understudy.js (`understudy daemon`), not by the CLI bundle; run it that way',
        'DAEMON_NOT_DISPATCHED',
        EXIT.SOFTWARE,
      );
    });
}
