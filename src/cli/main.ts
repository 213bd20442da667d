// The `understudy` command line: global options, commands, and the one place errors become
// messages and exit codes.
import { Command, CommanderError, Option } from 'commander';
import { disableOnnxTelemetry } from '../config/no-telemetry.js';
import { UnderstudyError } from '../errors.js';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import { describeError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { layoutHelp } from './help-layout.js';
import { printJsonError, trackJsonOption } from './json-error.js';
import { refuseOptionLikeValues } from './option-values.js';
import { trackUsageErrors } from './usage-help.js';
import { understudyVersion } from './version.js';

/** The levels `--log-level` accepts (pino's, as in the config's log_level). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Each command's module, loaded with `await import()` only when it runs (or for the full help):
 * the CLI is split into chunks (scripts/build.mjs), so `understudy sync` compiles the sync code
 * and not the report's, the demo's (mailparser) or the trainer's. Order is the order of --help.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  init: async () => (await import('./commands/init.js')).registerInit,
  sync: async () => (await import('./commands/sync.js')).registerSync,
  status: async () => (await import('./commands/status.js')).registerStatus,
  dataset: async () => (await import('./commands/dataset.js')).registerDataset,
  mail: async () => (await import('./commands/mail.js')).registerMail,
  model: async () => (await import('./commands/model.js')).registerModel,
  train: async () => (await import('./commands/train.js')).registerTrain,
  report: async () => (await import('./commands/report.js')).registerReport,
  draft: async () => (await import('./commands/draft.js')).registerDraft,
  daemon: async () => (await import('./commands/daemon.js')).registerDaemon,
  service: async () => (await import('./commands/service.js')).registerService,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  config: async () => (await import('./commands/config.js')).registerConfig,
  secret: async () => (await import('./commands/secret.js')).registerSecret,
  privacy: async () => (await import('./commands/privacy.js')).registerPrivacy,
  pause: async () => (await import('./commands/pause.js')).registerPause,
  resume: async () => (await import('./commands/pause.js')).registerResume,
  log: async () => (await import('./commands/log.js')).registerLog,
  uninstall: async () => (await import('./commands/uninstall.js')).registerUninstall,
};

/** Global options that take a value: their value is not the command name. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level']);

/** The command `args` (argv without node and the script) names, or undefined (help, a typo). */
export function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return undefined;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
  }
  return undefined;
}

/**
 * True when `args` (argv without node and the script) asks for the version and nothing else but
 * global options: `understudy --version` then loads no command's module (it loaded all of them,
 * 0.6 s, for one line).
 */
export function versionOnly(args: string[]): boolean {
  let version = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (arg === '-V' || arg === '--version') version = true;
    else if (!/^--(config|log-level)=/.test(arg)) return false;
  }
  return version;
}

/**
 * The program with every command, with just `only` (a command name, see commandName), or with
 * none when `only` is null (versionOnly): the help, usage errors and typo suggestions need them
 * all, running one command needs only it.
 */
export async function buildProgram(only?: string | null): Promise<Command> {
  const program = layoutHelp(new Command('understudy'))
    .version(understudyVersion(), '-V, --version', 'print the version and exit')
    .description(
      'Understudy learns how you write email from the replies you have sent, and drafts replies in\n' +
        'your IMAP Drafts folder. It never sends mail and only talks to your own mail server.',
    )
    .option(
      '-c, --config <path>',
      'config file (default: $UNDERSTUDY_CONFIG or $XDG_CONFIG_HOME/understudy/config.toml)',
    )
    .addOption(
      // choices(): `--log-level bogus` is a usage error (exit 64) that lists the valid levels.
      new Option(
        '--log-level <level>',
        "show the JSON log on stderr from this level on (default: none; the config's log_level is the daemon's)",
      ).choices(LOG_LEVELS),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const loaders =
    only === null ? [] : only && Object.hasOwn(COMMANDS, only) ? [COMMANDS[only]] : Object.values(COMMANDS);
  for (const register of await Promise.all(loaders.map((load) => load?.()))) register?.(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Everything Understudy writes (store, models, logs) is for this user's eyes only.
  process.umask(0o077);
  // Only the mail server: no onnxruntime telemetry here or in any child (training, export).
  disableOnnxTelemetry();
  // `understudy … | head -1`: a closed pipe ends the command quietly, exit 0 (not the daemon, whose
  // --help is still printed here: `understudy daemon --help | head -1` ended in an EPIPE trace).
  const args = argv.slice(2);
  if (commandName(args) !== 'daemon' || args.some((a) => a === '-h' || a === '--help')) endQuietlyOnClosedPipe();
  const program = await buildProgram(versionOnly(args) ? null : commandName(args));
  // `--json` failing: the error as JSON on stdout too, whatever the command (src/cli/json-error.ts).
  const json = trackJsonOption(program, argv.slice(2));
  // A usage error names the help of the command it was found in (`understudy model promote --help`).
  const usageErrors = trackUsageErrors(program);
  refuseOptionLikeValues(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      if (err.exitCode !== 0) {
        // The common JSON error (README: code, kind, message, fix, exitCode), not commander's bare one.
        const help = `${usageErrors.failed() ?? ['understudy', commandName(args)].filter(Boolean).join(' ')} --help`;
        const usage = new UnderstudyError('USAGE', 'usage', err.message, {
          fix: `see ${help} for the commands and options`,
          exitCode: EXIT.USAGE,
          cause: err,
        });
        printJsonError(usage, { message: err.message, code: 'USAGE', exitCode: EXIT.USAGE }, json.requested());
      }
      return;
    }
    const logLevel = program.opts<{ logLevel?: string }>().logLevel;
    const reported = describeError(err, { debug: logLevel === 'debug' || logLevel === 'trace' });
    process.stderr.write(`understudy: ${reported.message}\n`);
    printJsonError(err, reported, json.requested());
    process.exitCode = reported.exitCode;
  }
}
