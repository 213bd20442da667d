// The daemon process's entry (bundled as dist/daemon.js): bin/understudy.js calls `main` for
// `understudy [options] daemon`, so the CLI never imports the daemon. Reads the command line,
// runs the daemon, and turns its end into the exit code for the service manager.
import { parseDaemonArgs } from './args.js';
import { serviceExitCode, startupFailure } from './exit.js';
import { runDaemon } from './main.js';

/**
 * Runs `understudy … daemon` from `argv` (process.argv: node, the script, then the arguments) and
 * sets process.exitCode: 0 after SIGTERM/SIGINT, the sysexits code of what stopped or kept it
 * from starting (README's table), 0 for those under launchd (see serviceExitCode). Never throws.
 */
export async function main(argv: string[]): Promise<void> {
  // Everything Understudy writes (store, models, logs, the status file) is for this user's eyes only.
  process.umask(0o077);
  const args = argv.slice(2);
  let code: number;
  try {
    code = await runDaemon(parseDaemonArgs(args));
  } catch (err) {
    // A broken config (78), the data folder held by another Understudy (75), an unwritable
    // store (73/74), a bad option (64): the same message and code as every other command.
    const level = args.find((a, i) => args[i - 1] === '--log-level' || a.startsWith('--log-level='));
    const failure = startupFailure(err, /debug|trace/.test(level ?? ''));
    process.stderr.write(`understudy: ${failure.message}\n`);
    code = failure.exitCode;
  }
  process.exitCode = serviceExitCode(code);
}
