// `understudy sync`: mirror the selected mailboxes of each account into the local store.
import type { Command } from 'commander';
import type { AccountSyncResult } from '../../imap/sync-account.js';
import { syncAccount } from '../../imap/sync-account.js';
import { pickAccounts } from '../accounts.js';
import { CliContext } from '../context.js';
import { describeError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type JsonErrorBody, jsonError } from '../json-error.js';
import { printable } from '../printable.js';
import { syncProgress } from '../progress.js';
import { lastCompleteSync, recordSyncInterrupted } from '../sync-interrupt.js';

interface SyncOptions {
  account?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .summary('mirror your mailboxes into the local store')
    .description(
      'Fetches new mail, flag changes and deletions from INBOX, the Sent, Archive and All Mail\n' +
        'folders (found by their SPECIAL-USE flags) and any folders.include, minus folders.exclude.\n' +
        'Only headers and text parts are downloaded; attachments are recorded, never fetched.\n' +
        'Safe to interrupt at any moment: the next run continues where this one stopped.',
    )
    .option('-a, --account <name>', 'sync only this account')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'no progress and no summary unless something failed')
    .addHelpText(
      'after',
      '\nExit codes: 0 synced, 1 some mailboxes failed, 69 server refused (TLS), 73 data folder not\n' +
        'writable, 74 disk full, 75 temporary failure or another Understudy holds the data folder\n' +
        '(retry later), 77 login refused, 78 config or secret problem, 130 stopped by Ctrl-C (the next\n' +
        'sync continues; status says so until then).',
    )
    .action(async (opts: SyncOptions, command: Command) => {
      const ctx = CliContext.from(command);
      try {
        // One sync per data folder, and none beside the daemon (which syncs by itself).
        ctx.lock('understudy sync');
        process.exitCode = await runSync(ctx, opts);
      } finally {
        ctx.close();
      }
    });
}

/**
 * Ctrl-C: the first stops the sync after the batch in progress (each batch is committed, so the
 * next run resumes) and records the interruption for `status`; a second one exits at once, after
 * recording it too.
 */
function interruptible(ctx: CliContext, current: () => { account: string; previous: number | null } | null) {
  const controller = new AbortController();
  const onSigint = () => {
    const running = current();
    if (controller.signal.aborted) {
      if (running) recordSyncInterrupted(ctx.db, running.account, running.previous, []);
      ctx.close();
      process.exit(EXIT.CANCELLED);
    }
    controller.abort();
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to stop now)…\n');
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

async function runSync(ctx: CliContext, opts: SyncOptions): Promise<ExitCode> {
  const config = ctx.config;
  const accounts = pickAccounts(config.accounts, opts.account);
  const results: (AccountSyncResult | { account: string; error: JsonErrorBody })[] = [];
  let exit: ExitCode = EXIT.OK;
  let running: { account: string; previous: number | null } | null = null;
  const interrupt = interruptible(ctx, () => running);
  try {
    for (const account of accounts) {
      if (interrupt.signal.aborted) break;
      running = { account: account.name, previous: lastCompleteSync(ctx.db, account.name) };
      // With --json and no terminal a script is reading: keep stderr for errors only.
      const progress = syncProgress(account.name, {
        quiet: Boolean(opts.quiet || (opts.json && !process.stderr.isTTY)),
      });
      try {
        const result = await syncAccount({
          db: ctx.db,
          account,
          settings: config.sync,
          logger: ctx.logger,
          signal: interrupt.signal,
          onProgress: (p) => progress.update(p),
          onNotice: (m) => progress.notice(m),
        });
        progress.stop();
        results.push(result);
        if (result.failed.length > 0 && exit === EXIT.OK) exit = EXIT.FAILURE;
        // --quiet: nothing on a success but the exit code (cron, scripts); failures still print.
        if (!opts.json && (!opts.quiet || result.failed.length > 0 || interrupt.signal.aborted)) printSummary(result);
        // -q keeps quiet about what went well, never about a folder glob that selects nothing or
        // leaves out the sent folder.
        else if (!opts.json) printUnmatched(result);
        if (interrupt.signal.aborted) recordSyncInterrupted(ctx.db, account.name, running.previous, result.interrupted);
      } catch (err) {
        progress.stop();
        if (interrupt.signal.aborted) recordSyncInterrupted(ctx.db, account.name, running.previous, []);
        const reported = describeError(err);
        // The common error body (code, kind, message, fix, exitCode), as `draft --json` gives it.
        results.push({ account: account.name, error: jsonError(err, reported).error });
        if (!opts.json && !interrupt.signal.aborted) process.stderr.write(`${account.name}: ${reported.message}\n`);
        // The most specific failure decides the exit code; the next account is still synced.
        if (exit === EXIT.OK || exit === EXIT.FAILURE) exit = reported.exitCode;
      }
      if (interrupt.signal.aborted && !opts.json)
        process.stderr.write(`${account.name}: sync stopped by Ctrl-C; the next understudy sync continues\n`);
      running = null;
    }
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted) exit = EXIT.CANCELLED;
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ accounts: results.map(forJson), ...jsonFailure(results, exit) }, null, 2)}\n`,
    );
  return exit;
}

/**
 * An account's result as JSON: a failed mailbox's error as the common body. The ImapError itself
 * would lose its message there (an Error's message is not an enumerable property).
 */
function forJson(r: AccountSyncResult | { account: string; error: JsonErrorBody }) {
  if (!('failed' in r)) return r;
  return {
    ...r,
    failed: r.failed.map((f) => ({ path: f.path, error: jsonError(f.error, describeError(f.error)).error })),
  };
}

/**
 * README's promise for a `--json` command that fails: `ok: false` and one `error` object (code,
 * kind, message, fix, exitCode) beside the per-account results, so a script checks `.ok` alone.
 * The error is the first failed account's (the exit code may be a later one's); a sync that only
 * lost some mailboxes, or was stopped by Ctrl-C, says so in one of its own. Nothing when all went well.
 */
function jsonFailure(
  results: (AccountSyncResult | { account: string; error: JsonErrorBody })[],
  exit: ExitCode,
): { ok: false; error: JsonErrorBody } | Record<string, never> {
  if (exit === EXIT.OK) return {};
  if (exit === EXIT.CANCELLED)
    return {
      ok: false,
      error: {
        code: 'CANCELLED',
        kind: 'temporary',
        message: 'sync stopped by Ctrl-C',
        fix: 'run understudy sync again: it continues where this one stopped',
        exitCode: exit,
      },
    };
  const failedAccount = results.find((r) => 'error' in r);
  if (failedAccount && 'error' in failedAccount) return { ok: false, error: failedAccount.error };
  const mailboxes = results.flatMap((r) => ('failed' in r ? r.failed : []));
  return {
    ok: false,
    error: {
      code: 'SYNC_PARTLY_FAILED',
      kind: 'final',
      message: `${mailboxes.length} mailbox${mailboxes.length === 1 ? '' : 'es'} could not be synced (see accounts[].failed)`,
      fix: 'see each failed mailbox for its reason; the other mailboxes were synced',
      exitCode: exit,
    },
  };
}

function printSummary(r: AccountSyncResult): void {
  const totals = r.mailboxes.reduce(
    (t, m) => ({
      added: t.added + m.added,
      changed: t.changed + m.flagsChanged,
      expunged: t.expunged + m.expunged,
    }),
    { added: 0, changed: 0, expunged: 0 },
  );
  const out: string[] = [];
  out.push(
    `${r.account}: ${r.mailboxes.length} mailbox${r.mailboxes.length === 1 ? '' : 'es'} synced in ${(r.durationMs / 1000).toFixed(1)} s — ` +
      `${totals.added} new, ${totals.changed} changed, ${totals.expunged} expunged`,
  );
  const width = Math.max(8, ...r.mailboxes.map((m) => m.path.length));
  for (const m of [...r.mailboxes].sort((a, b) => a.path.localeCompare(b.path))) {
    const state = m.reset ? ' (UIDVALIDITY changed: refetched)' : m.unchanged ? ' (unchanged)' : '';
    out.push(
      `  ${m.path.padEnd(width)}  ${String(m.exists).padStart(6)} messages  +${m.added} ~${m.flagsChanged} -${m.expunged}${state}`,
    );
  }
  out.push(...unmatchedLines(r));
  for (const f of r.failed) out.push(`  ${f.path.padEnd(width)}  FAILED: ${f.error.message}\n    fix: ${f.error.fix}`);
  for (const m of r.removed)
    out.push(
      `  ${m.path.padEnd(width)}  removed from the store (${m.messages} messages): no longer selected or on the server`,
    );
  if (r.interrupted.length) out.push(`  interrupted before: ${r.interrupted.join(', ')} (the next sync continues)`);
  if (r.reconnects)
    out.push(`  reconnected ${r.reconnects} time${r.reconnects === 1 ? '' : 's'} after temporary failures`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * The warning lines for include/exclude globs that matched no mailbox, and for an excluded sent-mail
 * folder (no training data from the account); empty when there is nothing to warn about.
 */
function unmatchedLines(r: AccountSyncResult): string[] {
  return [
    ...(r.unmatched ?? []).map(
      (u) =>
        `  warning: ${u.message}\n    fix: write the folder as your mail client shows it, e.g. "Archive" or "Archive/**"`,
    ),
    ...(r.excludedSent ?? []).map((x) => `  warning: ${printable(x.message)}\n    fix: ${printable(x.fix)}`),
  ];
}

function printUnmatched(r: AccountSyncResult): void {
  const lines = unmatchedLines(r);
  if (lines.length) process.stdout.write(`${r.account}:\n${lines.join('\n')}\n`);
}
