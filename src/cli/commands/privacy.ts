// `understudy privacy exclude|include|list`: correspondents whose mail is kept out of training
// (and, through [drafts] exclude_*, out of drafting). Stored in the local store; the config's
// [dataset] exclude_senders / exclude_domains add to them.
import type { Command } from 'commander';
import { parseCorrespondent } from '../../dataset/exclude.js';
import { addExclusion, removeExclusion, storedExclusions } from '../../store/excluded-correspondents.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

// Idempotent: excluding what is already excluded (or including what is not) is done, not an error.
const EXIT_HELP =
  '\nExit codes: 0 done (also when there was nothing to change), 64 not an address or domain, 78 config problem.';

function rule(text: string) {
  const r = parseCorrespondent(text);
  if (!r)
    throw new CliError(
      `"${text}" is neither an address (ann@example.com, *@example.com) nor a domain (example.com)`,
      'BAD_ARGUMENT',
      EXIT.USAGE,
    );
  return r;
}

/** Registers `understudy privacy` and its subcommands exclude, include and list. */
export function registerPrivacy(program: Command): void {
  const privacy = program
    .command('privacy')
    .summary('keep a correspondent’s or a domain’s mail out of training')
    .description(
      'Mail from or to an excluded address or domain never becomes a training example: the pair is\n' +
        'dropped with the reason excluded_correspondent (see understudy dataset stats), and their\n' +
        'messages are not shown as thread context. It applies from the next dataset build (train\n' +
        'builds first). To also never draft a reply to them, add them to [drafts] exclude_senders or\n' +
        'exclude_domains. The config’s [dataset] exclude_senders and exclude_domains work like these.',
    );
  registerExclude(privacy);
  registerInclude(privacy);
  registerList(privacy);
}

/** `privacy exclude ADDRESS-OR-DOMAIN`: stores the rule (already there: a note, exit 0). */
function registerExclude(privacy: Command): void {
  privacy
    .command('exclude')
    .argument('<address-or-domain>', 'ann@example.com, *@example.com, or example.com (subdomains too)')
    .summary('keep this correspondent’s mail out of training')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXIT_HELP)
    .action((text: string, opts: { json?: boolean }, command: Command) => {
      const r = rule(text);
      const ctx = CliContext.from(command);
      try {
        const added = addExclusion(ctx.db, r);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, added })}\n`);
        else
          process.stdout.write(
            added
              ? `excluded ${r.kind} ${r.pattern}: their mail is left out of training from the next dataset build (understudy train rebuilds it)\n`
              : `note: ${r.kind} ${r.pattern} was already excluded; nothing to change\n`,
          );
      } finally {
        ctx.close();
      }
    });
}

/** `privacy include ADDRESS-OR-DOMAIN`: removes a stored rule, and says when the config still excludes it. */
function registerInclude(privacy: Command): void {
  privacy
    .command('include')
    .argument('<address-or-domain>', 'a pattern shown by understudy privacy list')
    .summary('let this correspondent’s mail be learned from again')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXIT_HELP)
    .action((text: string, opts: { json?: boolean }, command: Command) => {
      const r = rule(text);
      const ctx = CliContext.from(command);
      try {
        const removed = removeExclusion(ctx.db, r.pattern);
        const inConfig =
          ctx.config.dataset.excludeSenders.includes(r.pattern) ||
          ctx.config.dataset.excludeDomains.includes(r.pattern);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, removed, inConfig })}\n`);
        else {
          process.stdout.write(
            removed
              ? `${r.kind} ${r.pattern} is no longer excluded\n`
              : `note: ${r.pattern} was not excluded by privacy exclude; nothing to change\n`,
          );
          if (inConfig)
            process.stdout.write(
              `note: ${r.pattern} is still excluded by the config ([dataset] exclude_${r.kind === 'sender' ? 'senders' : 'domains'}); remove it there\n`,
            );
        }
      } finally {
        ctx.close();
      }
    });
}

/** `privacy list`: the stored rules and the config's, with where each comes from. */
function registerList(privacy: Command): void {
  privacy
    .command('list')
    .summary('the correspondents kept out of training, here and in the config')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const stored = storedExclusions(ctx.db).map((s) => ({ ...s, source: 'privacy exclude' }));
        const config = [
          ...ctx.config.dataset.excludeSenders.map((p) => ({ pattern: p, kind: 'sender', source: 'config' })),
          ...ctx.config.dataset.excludeDomains.map((p) => ({ pattern: p, kind: 'domain', source: 'config' })),
        ];
        const all = [...stored, ...config];
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
          return;
        }
        for (const e of all) process.stdout.write(`  ${e.kind.padEnd(6)}  ${e.pattern.padEnd(40)}  (${e.source})\n`);
        process.stdout.write(
          all.length
            ? `${all.length} correspondent${all.length === 1 ? '' : 's'} kept out of training\n`
            : 'no correspondent is kept out of training (understudy privacy exclude ADDRESS-OR-DOMAIN)\n',
        );
      } finally {
        ctx.close();
      }
    });
}
