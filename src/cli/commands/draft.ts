// `understudy draft`: write replies to new mail into your Drafts folder (never sends).
import type { Command } from 'commander';
import { OUTBOX_SKIP_LABELS, type OutboxSkip } from '../../drafts/candidates.js';
import { loadDraftModel } from '../../drafts/model.js';
import { type DraftRunSummary, draftReplies } from '../../drafts/run.js';
import { SKIP_LABELS, type TriageSkip } from '../../drafts/triage.js';
import { syncAccount } from '../../imap/sync-account.js';
import { accountIdByName } from '../../store/accounts.js';
import { pickAccounts } from '../accounts.js';
import { CliContext } from '../context.js';
import { CliError, describeError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type JsonErrorBody, jsonError } from '../json-error.js';
import { resolveMessageRef } from '../message-ref.js';
import { plural } from '../plural.js';
import { printable } from '../printable.js';

interface DraftOptions {
  account?: string;
  dryRun?: boolean;
  limit?: string;
  message?: string;
  sync: boolean;
  json?: boolean;
}

export function registerDraft(program: Command): void {
  program
    .command('draft')
    .summary('write replies to new mail into your Drafts folder')
    .description(
      'Syncs, then decides which new messages deserve a reply (skipping your own mail, automatic,\n' +
        'bulk and list mail, no-reply senders, answered and old messages, and threads that already\n' +
        'have a draft), writes a reply in your voice with the promoted model (or, before the first\n' +
        'training, the base model with a few of your past replies), and appends it to Drafts with\n' +
        '\\Draft, threaded under the message. Nothing is ever sent. Safe to interrupt: no draft is\n' +
        'ever duplicated, and a draft you edited or moved is never touched.',
    )
    .option('-a, --account <name>', 'only this account')
    .option('--dry-run', 'show the decisions and the drafts, change nothing on the server')
    .option('--limit <n>', 'write at most n drafts')
    .option(
      '--message <uid|message-id>',
      'only this INBOX message, by UID or Message-ID (even if older than drafts.max_age_days)',
    )
    .option('--no-sync', 'do not sync first')
    .option('--json', 'print the result as JSON')
    .action(async (opts: DraftOptions, command: Command) => {
      const limit = opts.limit === undefined ? undefined : positiveLimit(opts.limit);
      const ctx = CliContext.from(command);
      const config = ctx.config;
      const accounts = pickAccounts(config.accounts, opts.account);
      // One drafting run per data folder (two would both generate and append); a dry run that
      // does not sync writes nothing and runs beside anything.
      if (!opts.dryRun || opts.sync) ctx.lock(`understudy draft${opts.dryRun ? ' --dry-run' : ''}`);
      let model: Awaited<ReturnType<typeof loadDraftModel>> | null = null;
      const results: DraftRunSummary[] = [];
      /** Accounts that failed as a whole (no model yet, server down): in --json too, not only on stderr. */
      const failed: { account: string; error: JsonErrorBody }[] = [];
      let exit: ExitCode = EXIT.OK;
      let foundMessage = false;
      try {
        for (const account of accounts) {
          try {
            if (opts.sync) await syncAccount({ db: ctx.db, account, settings: config.sync, logger: ctx.logger });
            // --message names one message (UID or Message-ID): one that is not there is an error,
            // not a silent "0 drafts" (issue 15); with several accounts, the one that has it.
            let uid: number | undefined;
            if (opts.message !== undefined) {
              try {
                uid = resolveMessageRef(ctx.db, accountIdByName(ctx.db, account.name), opts.message);
              } catch (err) {
                // Not in this account: fine while another has it, an error when none does.
                if (err instanceof CliError && (account !== accounts.at(-1) || foundMessage)) continue;
                throw err;
              }
              foundMessage = true;
            }
            const result = await draftReplies({
              db: ctx.db,
              config,
              account,
              dryRun: Boolean(opts.dryRun),
              ...(limit !== undefined ? { limit } : {}),
              ...(uid !== undefined ? { uid } : {}),
              logger: ctx.logger,
              model: async () => {
                model = await loadDraftModel(ctx.db, config, model);
                return model;
              },
              onProgress: (m) => {
                if (!opts.json) process.stderr.write(`${m}…\n`);
              },
            });
            results.push(result);
            if (result.failed.length && exit === EXIT.OK) exit = EXIT.FAILURE;
            // Subjects and senders are the mail's: shown with control characters as \xHH.
            if (!opts.json) process.stdout.write(`${printable(format(result, Boolean(opts.dryRun)))}\n`);
          } catch (err) {
            // No model yet (DraftError MODEL_UNAVAILABLE) is a setup step still to do: its message,
            // its fix and exit 78 (EX_CONFIG, so a service does not restart-loop on it), not a crash.
            const r = describeError(err);
            process.stderr.write(`${account.name}: ${r.message}\n`);
            failed.push({ account: account.name, error: jsonError(err, r).error });
            exit = r.exitCode;
          }
        }
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ accounts: results, ...(failed.length ? { ok: false, error: failed[0]?.error, failed } : {}) }, null, 2)}\n`,
          );
        process.exitCode = exit;
      } finally {
        const loaded = model as Awaited<ReturnType<typeof loadDraftModel>> | null;
        if (loaded) await loaded.generator.close();
        ctx.close();
      }
    });
}

/** `--limit`: a positive whole number (0, -5 or "abc" would silently draft nothing). */
function positiveLimit(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new CliError(`--limit must be a positive integer, not "${text}"`, 'BAD_LIMIT', EXIT.USAGE);
  return n;
}

function format(r: DraftRunSummary, dryRun: boolean): string {
  const out: string[] = [];
  const skipped = r.decisions.filter((d) => d.action === 'skip');
  // A dry run without a model shows what would be drafted, though no text can be written yet.
  const drafts = r.modelUnavailable ? r.decisions.filter((d) => d.action === 'draft').length : r.drafted.length;
  const old = r.notConsidered?.olderThanMaxAge ?? 0;
  out.push(
    `${r.account}: ${plural(drafts, 'draft')} ${dryRun ? 'would be written' : 'written'}, ${plural(skipped.length, 'message')} skipped` +
      // Mail past max_age_days is not triaged at all; say how much, so none of it is hidden.
      (old && r.notConsidered
        ? `, ${plural(old, 'message')} older than max_age_days (${plural(r.notConsidered.maxAgeDays, 'day')}) not considered`
        : '') +
      (r.failed.length ? `, ${r.failed.length} refused` : '') +
      (r.recovered ? `, ${r.recovered} recovered from an interrupted run` : '') +
      (r.feedback.sent || r.feedback.discarded
        ? `; feedback: ${r.feedback.sent} replied, ${r.feedback.discarded} discarded`
        : ''),
  );
  if (r.paused)
    out.push(
      `  drafting is paused (since ${r.paused.since ? new Date(r.paused.since).toISOString().slice(0, 16).replace('T', ' ') : 'unknown'}, by ${r.paused.by}): ${dryRun ? 'nothing would be written now' : 'nothing was drafted'}; understudy resume turns it back on`,
    );
  for (const d of r.decisions) {
    const label =
      d.action === 'draft'
        ? 'DRAFT'
        : `skip: ${SKIP_LABELS[d.reason as TriageSkip] ?? OUTBOX_SKIP_LABELS[d.reason as OutboxSkip] ?? d.reason}`;
    out.push(
      `  ${String(d.uid).padStart(6)}  ${(d.subject ?? '').slice(0, 40).padEnd(40)}  ${d.from.slice(0, 28).padEnd(28)}  ${label}`,
    );
  }
  for (const f of r.failed) out.push(`  refused ${f.uid} "${f.subject ?? ''}": ${f.reason}`);
  if (r.modelUnavailable) out.push(`  (no reply text shown: ${r.modelUnavailable.replace(/\n/g, '\n  ')})`);
  for (const d of r.drafted) {
    out.push(
      `\n  ── reply to "${d.subject ?? ''}" → ${d.to} (${d.mode === 'model' ? 'your model' : 'cold start'}, ${d.tokens} tokens, ${d.seconds.toFixed(1)} s${d.replaced ? `, replaced ${d.replaced} older draft` : ''})`,
    );
    out.push(d.text.replace(/^/gm, '  │ '));
  }
  return out.join('\n');
}
