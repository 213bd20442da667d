// `understudy dataset build|stats|export`: the writing-style dataset made from your sent replies.
import { once } from 'node:events';
import type { Command } from 'commander';
import { type BuildSummary, buildDataset } from '../../dataset/build.js';
import { exportJsonl, jsonlLines } from '../../dataset/export.js';
import { pairsToShow } from '../../dataset/show.js';
import { datasetStats } from '../../dataset/stats.js';
import { exitCodeOf, isUnderstudyError } from '../../errors.js';
import type { ExcludedSent } from '../../imap/discover.js';
import { accountIdByName } from '../../store/accounts.js';
import { pickAccounts } from '../accounts.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { outputFileError } from '../output-file.js';
import { plural } from '../plural.js';
import { printable } from '../printable.js';
import { taskProgress } from '../progress.js';
import { excludedSentOffline, excludedSentText } from '../sent-excluded.js';
import { sideBySide } from '../side-by-side.js';

const PAIRED_BY: Record<string, string> = {
  headers: 'In-Reply-To/References',
  quote: 'the stored message matching the first quoted message',
  reconstructed: 'reconstructed from the first quoted message (the original is not stored)',
  subject: 'the latest message of the thread from someone the reply (which quotes nothing) is addressed to',
};

const WARNING_LABELS: Record<string, string> = {
  parent_not_top_of_quote: 'the parent is not the first message quoted in the reply',
  not_addressed_to_parent_sender: "the reply is addressed to neither the parent's sender nor its other recipients",
  parent_dated_after_reply: 'the parent is dated after the reply (a skewed clock?)',
};

const DROP_LABELS: Record<string, string> = {
  not_a_reply: 'not a reply (no In-Reply-To and no quoted message)',
  forward: 'a forward to someone other than the sender of the forwarded message',
  not_from_user: 'in Sent but from an address that is not yours (someone sending on your behalf)',
  parent_not_found: 'the message answered is not in the store, and the quote does not carry it complete',
  reply_to_self: 'a reply to your own message',
  empty_reply: 'no text of your own',
  quote_only: 'only quoted text',
  junk_reply: 'auto-reply, calendar answer or bare forward',
  junk_parent: 'answers an automatic, bulk or list message',
  too_long: 'longer than dataset.max_reply_chars',
  duplicate: 'a copy of another reply (another folder, Message-ID or date)',
  template: 'a template sent many times (a few copies kept)',
  unreadable: 'could not be read (malformed MIME or binary data)',
  excluded_correspondent: 'with a correspondent you keep out of training (understudy privacy list)',
};

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').summary('build and inspect the writing-style dataset');

  dataset
    .command('build')
    .summary('pair your sent replies with the mail they answer and clean them')
    .description(
      'For every message you sent: finds the message it answers (In-Reply-To/References, else the\n' +
        'quoted original), removes quotes, attributions and signatures, drops auto-replies, bulk\n' +
        'mail, duplicates and templates, detects the language and splits by time (the newest\n' +
        'threads are held out for evaluation). Only what changed since the last build is cleaned.',
    )
    .option('-a, --account <name>', 'build only this account')
    .option('--force', 'rebuild even when nothing changed')
    .option('--no-cache', 'clean every message again instead of reusing earlier results')
    .option('--json', 'print the summary as JSON')
    .action((opts: { account?: string; force?: boolean; cache: boolean; json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        const summaries: (BuildSummary & { excludedSent?: ExcludedSent[] })[] = [];
        for (const account of pickAccounts(ctx.config.accounts, opts.account)) {
          const progress = taskProgress(`${account.name} dataset`, {
            quiet: Boolean(opts.json && !process.stderr.isTTY),
          });
          try {
            summaries.push(
              buildDataset({
                db: ctx.db,
                account,
                settings: ctx.config.dataset,
                force: Boolean(opts.force) || !opts.cache,
                noCache: !opts.cache,
                onProgress: (p) => progress.update(p.done, p.total, p.phase),
              }),
            );
          } catch (err) {
            // Nothing synced yet: the same exit code (66), in this command's words for the account.
            if (isUnderstudyError(err) && err.code === 'NOT_SYNCED')
              throw new CliError(notSynced(account.name), err.code, exitCodeOf(err), err);
            throw err;
          } finally {
            progress.stop();
          }
          // folders.exclude leaving out the sent folder removes every reply: said once per build, with the fix.
          const excludedSent = excludedSentOffline(ctx.db, account);
          const last = summaries.at(-1);
          if (excludedSent.length && last) {
            last.excludedSent = excludedSent;
            if (!opts.json) process.stderr.write(excludedSentText(account.name, excludedSent));
          }
        }
        if (opts.json) process.stdout.write(`${JSON.stringify({ accounts: summaries }, null, 2)}\n`);
        else for (const s of summaries) process.stdout.write(`${formatSummary(s)}\n`);
      } finally {
        ctx.close();
      }
    });

  dataset
    .command('stats')
    .summary('counts, languages, reply lengths, correspondents and drop reasons')
    .option('-a, --account <name>', 'only this account')
    .option('--json', 'print as JSON')
    .action((opts: { account?: string; json?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        // An account not synced yet has empty stats, not an error (rc 0): it says what to run.
        const unsynced: string[] = [];
        const all = pickAccounts(ctx.config.accounts, opts.account).flatMap((account) => {
          const id = accountIdByName(ctx.db, account.name);
          if (id === undefined) {
            unsynced.push(account.name);
            return [];
          }
          return [{ account: account.name, ...datasetStats(ctx.db, id) }];
        });
        if (opts.json) process.stdout.write(`${JSON.stringify({ accounts: all, notSynced: unsynced }, null, 2)}\n`);
        else {
          for (const name of unsynced) process.stdout.write(`${notSynced(name)}\n`);
          for (const s of all) {
            // Empty sections are left out rather than printed as a dangling "paired by " or heading.
            const pairedBy = fmt(s.pairedBy);
            const out = [
              `${s.account}: ${plural(s.examples, 'example')} (${s.train} train, ${s.eval} eval)${pairedBy ? `; paired by ${pairedBy}` : ''}`,
            ];
            out.push(
              `  parents reconstructed from the quote: ${s.reconstructed}; pairs with warnings: ${s.flagged}${s.flagged ? ` (${fmt(s.warnings)}; see understudy dataset show --flagged)` : ''}`,
            );
            out.push(`  languages: ${fmt(s.languages) || 'none'}`);
            out.push(`  reply length (words, median ${s.medianReplyWords}): ${fmt(s.replyLengthWords)}`);
            out.push(
              `  top correspondent domains: ${s.topCorrespondentDomains.map((d) => `${d.domain} ${d.examples}`).join(', ') || 'none'}`,
            );
            const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0);
            if (dropped.length) out.push('  sent messages left out:');
            for (const [reason, n] of dropped)
              out.push(`    ${String(n).padStart(6)}  ${DROP_LABELS[reason] ?? reason}`);
            if (s.unreadable.length) {
              out.push('  unreadable sent messages:');
              for (const u of s.unreadable.slice(0, 10)) out.push(`    ${u.key}: ${u.why}`);
            }
            if (s.unreadableContents)
              out.push(`  ${plural(s.unreadableContents, 'stored message')} (any folder) could not be read`);
            process.stdout.write(`${out.join('\n')}\n`);
          }
        }
      } finally {
        ctx.close();
      }
    });

  dataset
    .command('show')
    .summary('the pairs side by side: incoming message, your reply, how the parent was found, warnings')
    .description(
      'Shows what the model will learn from, before training: for each pair the incoming message and your\n' +
        'reply side by side, how the incoming message was found (In-Reply-To/References, a stored message\n' +
        'matching the quote, or reconstructed from the quote because the original is not stored), and\n' +
        'the warnings of the automatic checks (the parent is not the first quoted message; the reply is\n' +
        "not addressed to the parent's sender). Run understudy dataset build first.",
    )
    .option('-a, --account <name>', 'account (default: the first)')
    .option('--sample <n>', 'how many pairs, drawn at random (0: all)', '10')
    .option('--seed <s>', 'seed of the random sample (the same seed shows the same pairs)', '1')
    .option('--flagged', 'only pairs with a warning')
    .option('--json', 'print as JSON')
    .action(
      (
        opts: { account?: string; sample: string; seed: string; flagged?: boolean; json?: boolean },
        command: Command,
      ) => {
        const sample = Number(opts.sample);
        const seed = Number(opts.seed);
        if (!Number.isInteger(sample) || sample < 0)
          throw new CliError(`--sample must be a whole number ≥ 0, not "${opts.sample}"`, 'BAD_SAMPLE');
        if (!Number.isInteger(seed))
          throw new CliError(`--seed must be a whole number, not "${opts.seed}"`, 'BAD_SEED');
        const ctx = CliContext.from(command);
        try {
          const [account] = pickAccounts(ctx.config.accounts, opts.account ?? ctx.config.accounts[0]?.name);
          const id = account ? accountIdByName(ctx.db, account.name) : undefined;
          if (!account || id === undefined) {
            // Nothing to show is an empty result (rc 0), with what to run first.
            if (opts.json)
              process.stdout.write(
                `${JSON.stringify({ account: account?.name ?? null, total: 0, pairs: [], notSynced: true }, null, 2)}\n`,
              );
            else process.stdout.write(`${notSynced(account?.name)}\n`);
            return;
          }
          const shown = pairsToShow(ctx.db, id, { sample, seed, flagged: Boolean(opts.flagged) });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ account: account.name, ...shown }, null, 2)}\n`);
            return;
          }
          const width = Math.max(60, Math.min(process.stdout.columns ?? 120, 200));
          const [one, many] = opts.flagged ? ['pair with warnings', 'pairs with warnings'] : ['pair', 'pairs'];
          const out = [
            shown.pairs.length < shown.total
              ? `${account.name}: ${shown.pairs.length} of ${plural(shown.total, one, many)} (sample, seed ${seed})`
              : `${account.name}: ${plural(shown.total, one, many)}`,
          ];
          for (const [i, p] of shown.pairs.entries()) {
            const sender = p.incoming.from[0];
            const who = sender
              ? sender.name && sender.address
                ? `${sender.name} <${sender.address}>`
                : (sender.name ?? sender.address ?? '')
              : 'unknown sender';
            out.push('', `${'═'.repeat(Math.min(width, 100))}`);
            out.push(`${i + 1}. ${p.replyKey}  (${p.split}, ${p.language})`);
            out.push(
              `   parent: ${PAIRED_BY[p.pairedBy] ?? p.pairedBy}${p.evidence.length ? `; evidence: ${p.evidence.join(', ')}` : ''}`,
            );
            for (const w of p.warnings) out.push(`   ⚠ ${WARNING_LABELS[w] ?? w}`);
            out.push('');
            out.push(
              sideBySide(
                {
                  title: `INCOMING from ${who}${p.incoming.date ? `, ${new Date(p.incoming.date).toISOString().slice(0, 16).replace('T', ' ')}` : ''}${p.incoming.subject ? ` — ${p.incoming.subject}` : ''}`,
                  text: p.incoming.body,
                },
                {
                  title: `YOUR REPLY, ${new Date(p.replyDate).toISOString().slice(0, 16).replace('T', ' ')}`,
                  text: p.reply,
                },
                width,
              ),
            );
          }
          if (shown.total === 0)
            out.push(
              opts.flagged
                ? 'no pair has a warning'
                : 'no pairs; run understudy dataset build (understudy dataset stats says why mail was left out)',
            );
          // Bodies, subjects and Message-IDs are the senders' text: no control character reaches the terminal.
          process.stdout.write(`${printable(out.join('\n'))}\n`);
        } finally {
          ctx.close();
        }
      },
    );

  dataset
    .command('export')
    .argument('<out>', 'file to write (JSONL), or - for stdout')
    .summary('write the dataset as JSONL chat records')
    .description(
      'One {"messages":[{"role":"system",…},{"role":"user",…},{"role":"assistant",…}]} object per line:\n' +
        'the chat format Hugging Face TRL, MLX-LM and OpenAI-style tools read. The file is 0600.',
    )
    .option('-a, --account <name>', 'account (default: the first)')
    .option('--split <split>', 'only "train" or "eval"')
    .option('--metadata', 'add split, language and date to each record')
    .action(async (out: string, opts: { account?: string; split?: string; metadata?: boolean }, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        if (opts.split && opts.split !== 'train' && opts.split !== 'eval')
          throw new CliError('--split must be "train" or "eval"', 'BAD_SPLIT');
        const [account] = pickAccounts(ctx.config.accounts, opts.account ?? ctx.config.accounts[0]?.name);
        const id = account ? accountIdByName(ctx.db, account.name) : undefined;
        if (!account || id === undefined)
          throw new CliError(
            'no dataset yet; run understudy sync and understudy dataset build',
            'NOT_SYNCED',
            EXIT.FAILURE,
          );
        const options = {
          ...(opts.split ? { split: opts.split as 'train' | 'eval' } : {}),
          metadata: Boolean(opts.metadata),
        };
        if (out === '-') {
          // `-` is stdout, as for every Unix tool (issue 15: it wrote a file named "-"); the count
          // goes to stderr so the JSONL stays clean for a pipe.
          // A reader that stops early (`| head`) closes the pipe: stop writing, no stack trace.
          let closed = false;
          process.stdout.once('error', () => {
            closed = true;
          });
          let n = 0;
          for (const line of jsonlLines(ctx.db, id, options)) {
            if (closed) break;
            if (!process.stdout.write(line))
              await Promise.race([once(process.stdout, 'drain'), once(process.stdout, 'close')]).catch(() => undefined);
            n++;
          }
          process.stderr.write(`wrote ${n} examples to stdout\n`);
        } else {
          let n: number;
          try {
            n = exportJsonl(ctx.db, id, out, options);
          } catch (err) {
            throw outputFileError(out, err, 'understudy dataset export') ?? err;
          }
          process.stdout.write(`wrote ${n} examples to ${out}\n`);
        }
      } finally {
        ctx.close();
      }
    });
}

/** What `dataset build|stats|show` say before the first sync of an account. */
function notSynced(account: string | undefined): string {
  return `nothing synced yet${account ? ` for account "${account}"` : ''}: run \`understudy sync\` first`;
}

function fmt(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function formatSummary(s: BuildSummary): string {
  if (s.upToDate)
    return `${s.account}: dataset up to date (${plural(s.examples, 'example')}: ${s.train} train, ${s.eval} eval); nothing changed since the last build`;
  const dropped = Object.entries(s.dropped)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([reason, n]) => `    ${String(n).padStart(6)}  ${DROP_LABELS[reason] ?? reason}`);
  return [
    `${s.account}: ${plural(s.examples, 'example')} from ${plural(s.sent, 'sent message')} (${s.train} train, ${s.eval} eval) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  paired by headers ${s.pairedByHeaders}, by quoted text ${s.pairedByQuote}, reconstructed from the quote ${s.pairedByReconstruction ?? 0}, by subject and recipient ${s.pairedBySubject ?? 0}; languages: ${fmt(s.languages) || 'none'}`,
    ...(s.flagged
      ? [`  ${plural(s.flagged, 'pair with warnings', 'pairs with warnings')}: understudy dataset show --flagged`]
      : []),
    `  ${plural(s.cleaned, 'message')} cleaned now, the rest from the cache`,
    ...(dropped.length ? ['  left out:', ...dropped] : []),
  ].join('\n');
}
