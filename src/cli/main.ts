// The `understudy` command line: global options, commands, and the one place errors become
// messages and exit codes.
import { Command, CommanderError } from 'commander';
import { disableOnnxTelemetry } from '../config/no-telemetry.js';
import { registerConfig } from './commands/config.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDataset } from './commands/dataset.js';
import { registerDemo } from './commands/demo.js';
import { registerDraft } from './commands/draft.js';
import { registerInit } from './commands/init.js';
import { registerMail } from './commands/mail.js';
import { registerModel } from './commands/model.js';
import { registerReport } from './commands/report.js';
import { registerSecret } from './commands/secret.js';
import { registerService } from './commands/service.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerTrain } from './commands/train.js';
import { describeError } from './errors.js';
import { EXIT } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('understudy')
    .description(
      'Understudy learns how you write email from the replies you have sent, and drafts replies in\n' +
        'your IMAP Drafts folder. It never sends mail and only talks to your own mail server.',
    )
    .option(
      '-c, --config <path>',
      'config file (default: $UNDERSTUDY_CONFIG or $XDG_CONFIG_HOME/understudy/config.toml)',
    )
    .option('--log-level <level>', 'log level for the JSON log on stderr: debug, info, warn, error')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInit(program);
  registerSync(program);
  registerStatus(program);
  registerDataset(program);
  registerMail(program);
  registerModel(program);
  registerTrain(program);
  registerReport(program);
  registerDraft(program);
  registerDaemon(program);
  registerService(program);
  registerDemo(program);
  registerConfig(program);
  registerSecret(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Everything Understudy writes (store, models, logs) is for this user's eyes only.
  process.umask(0o077);
  // Only the mail server: no onnxruntime telemetry here or in any child (training, export).
  disableOnnxTelemetry();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    const logLevel = program.opts<{ logLevel?: string }>().logLevel;
    const reported = describeError(err, { debug: logLevel === 'debug' || logLevel === 'trace' });
    process.stderr.write(`understudy: ${reported.message}\n`);
    process.exitCode = reported.exitCode;
  }
}
