// `understudy pause` / `understudy resume`: drafting off and on again, while sync, feedback and
// training go on (src/drafts/pause.ts). The daemon checks before every drafting run, so it takes
// effect at once, without a restart.
import type { Command } from 'commander';
import { draftingPaused, pauseDrafting, resumeDrafting } from '../../drafts/pause.js';
import { ensurePrivateDir } from '../../store/db.js';
import { storeErrorFrom } from '../../store/errors.js';
import { CliContext } from '../context.js';

function when(ms: number): string {
  return ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : 'an unknown time';
}

export function registerPause(program: Command): void {
  program
    .command('pause')
    .summary('stop writing drafts (sync and training go on) until understudy resume')
    .description(
      'Turns drafting off for this data folder: the daemon and understudy draft write no new draft,\n' +
        'while sync, training and feedback (your sent replies matched to earlier drafts) go on. Drafts\n' +
        'already in your Drafts folder stay. understudy status shows "drafting paused". To go back to\n' +
        'the base model instead (cold start), see understudy model rollback --to-base.',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 paused (also when it already was), 73 the data folder cannot be written, 78 config problem.',
    )
    .action((opts: { json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      const dataDir = ctx.config.dataDir;
      let result: ReturnType<typeof pauseDrafting>;
      try {
        ensurePrivateDir(dataDir);
        result = pauseDrafting(dataDir, 'understudy pause');
      } catch (err) {
        throw storeErrorFrom(err, dataDir) ?? err;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ paused: true, ...result })}\n`);
      else
        process.stdout.write(
          result.already
            ? `drafting was already paused (since ${when(result.pause.since)})\n`
            : 'drafting paused: no new drafts until understudy resume; sync and training go on\n',
        );
    });
}

export function registerResume(program: Command): void {
  program
    .command('resume')
    .summary('write drafts again after understudy pause')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 resumed (also when drafting was not paused), 73 the data folder cannot be written, 78 config problem.',
    )
    .action((opts: { json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      const dataDir = ctx.config.dataDir;
      const was = draftingPaused(dataDir);
      try {
        resumeDrafting(dataDir);
      } catch (err) {
        throw storeErrorFrom(err, dataDir) ?? err;
      }
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ resumed: Boolean(was), pausedSince: was?.since ?? null })}\n`);
      else
        process.stdout.write(
          was
            ? `drafting resumed (it was paused since ${when(was.since)}): new mail gets drafts again\n`
            : 'drafting was not paused\n',
        );
    });
}
