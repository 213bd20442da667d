// `understudy uninstall [--purge] [--delete-drafts] [--yes] [--json]`: removes the service and,
// with --purge, everything Understudy keeps (data folder, config, keyring entries). Our drafts
// still on the server are listed (account, folder, subject) and only deleted with
// --delete-drafts after a confirmation: only drafts that carry our X-Understudy-Draft header and
// are exactly as we appended them (DESIGN promise 3: never delete what we did not create or
// what the user touched).
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, Config } from '../../config/load.js';
import { disconnect } from '../../imap/connect.js';
import { removeOwnDraft } from '../../imap/drafts.js';
import { openSession } from '../../imap/session.js';
import { headerText, parseHeaderBlock } from '../../mail/headers.js';
import { accountIdByName } from '../../store/accounts.js';
import type { Db } from '../../store/db.js';
import { type DraftRow, draftsInState, updateDraft } from '../../store/drafts.js';
import { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { plural } from '../plural.js';
import { serviceFile } from './service.js';

interface UninstallOptions {
  purge?: boolean;
  deleteDrafts?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** One of our drafts still on the server as far as the outbox knows. */
interface LeftDraft {
  account: string;
  folder: string;
  subject: string;
  uid: number | null;
  /** --delete-drafts: what happened to it. */
  outcome?: 'removed' | 'flagged' | 'changed' | 'gone' | 'failed';
}

/** Runs this CLI with `args`; its output goes to stderr (stdout is this command's result). */
function runSelf(args: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [process.argv[1] as string, ...args], { stdio: ['ignore', 2, 2] });
    child.on('error', () => done(EXIT.FAILURE));
    child.on('close', (code) => done(code ?? EXIT.FAILURE));
  });
}

/** Asks on the terminal; false when there is none (then --yes is needed). */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function subjectOf(raw: Buffer | null): string {
  if (!raw) return '';
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return headerText(parseHeaderBlock(end < 0 ? text : text.slice(0, end)), 'subject') ?? '';
}

/** Drafts we appended (or are replacing) that are still ours on the server, per the outbox journal. */
function leftDrafts(
  db: Db,
  accounts: readonly AccountConfig[],
): { row: DraftRow; draft: LeftDraft; account: AccountConfig }[] {
  const out: { row: DraftRow; draft: LeftDraft; account: AccountConfig }[] = [];
  for (const account of accounts) {
    const id = accountIdByName(db, account.name);
    if (id === undefined) continue;
    for (const row of draftsInState(db, id, ['appended', 'retiring'])) {
      out.push({
        row,
        account,
        draft: { account: account.name, folder: row.mailbox ?? 'Drafts', subject: subjectOf(row.raw), uid: row.uid },
      });
    }
  }
  return out;
}

/** Removes each untouched draft of ours (removeOwnDraft checks header, size and flags while the mailbox is selected once). */
async function deleteDrafts(db: Db, config: Config, left: ReturnType<typeof leftDrafts>): Promise<void> {
  for (const account of config.accounts) {
    const mine = left.filter((l) => l.account.name === account.name);
    if (!mine.length) continue;
    let client: ImapFlow | null = null;
    try {
      client = await (await openSession({ account, settings: config.sync })).connect();
      for (const l of mine) {
        if (l.row.uid === null || !l.row.mailbox) {
          l.draft.outcome = 'gone';
          continue;
        }
        l.draft.outcome = await removeOwnDraft(
          client,
          { mailbox: l.row.mailbox, uidValidity: l.row.uidvalidity, uid: l.row.uid },
          l.row.draft_key,
          l.row.raw?.length ?? -1,
        );
        if (l.draft.outcome === 'removed' || l.draft.outcome === 'flagged')
          updateDraft(db, l.row.id, 'superseded', { reason: 'deleted by understudy uninstall --delete-drafts' });
        else if (l.draft.outcome === 'changed')
          updateDraft(db, l.row.id, 'touched', { reason: 'edited by you: kept by understudy uninstall' });
      }
    } catch (err) {
      process.stderr.write(`${account.name}: could not delete drafts: ${(err as Error).message}\n`);
      for (const l of mine) l.draft.outcome ??= 'failed';
    } finally {
      if (client) await disconnect(client);
    }
  }
}

/** Deletes the keyring entries of accounts whose password lives there; returns what happened to each. */
async function removeKeyringEntries(
  accounts: readonly AccountConfig[],
): Promise<{ entry: string; ok: boolean; error?: string }[]> {
  const results: { entry: string; ok: boolean; error?: string }[] = [];
  for (const a of accounts) {
    if (a.secret.kind !== 'keyring') continue;
    const entry = `service="${a.secret.service}" user="${a.secret.user}"`;
    try {
      const { AsyncEntry } = await import('@napi-rs/keyring');
      await new AsyncEntry(a.secret.service, a.secret.user).deletePassword();
      results.push({ entry, ok: true });
    } catch (err) {
      results.push({ entry, ok: false, error: (err as Error).message });
    }
  }
  return results;
}

export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .summary('remove the service; with --purge also the data, the config and the keyring entry')
    .description(
      'Stops and removes the systemd user unit / launchd agent (as understudy service uninstall). The\n' +
        'drafts of ours still in your Drafts folders are listed (account, folder, subject) and left\n' +
        'there; --delete-drafts deletes them after asking, and only those that still carry our\n' +
        'X-Understudy-Draft header and are exactly as we wrote them (never one you edited or flagged).\n' +
        '--purge then deletes the data folder (store, base model, trained versions), the config file\n' +
        'and the OS keyring entries of your accounts. Your mail on the server is never touched.',
    )
    .option('--purge', 'also delete the data folder, the config file and keyring entries')
    .option('--delete-drafts', 'also delete our untouched drafts from the server (asks first)')
    .option('-y, --yes', 'do not ask: confirm --purge and --delete-drafts (for scripts)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 partly failed (service, a draft or the keyring: see the messages), 64 --purge or\n' +
        '--delete-drafts without a terminal to ask and without --yes, 75 another Understudy is working, 78 config problem.',
    )
    .action(async (opts: UninstallOptions, command: Command) => {
      const ctx = CliContext.from(command);
      const config = ctx.config;
      let exit: ExitCode = EXIT.OK;
      const say = (s: string) => {
        if (!opts.json) process.stderr.write(`${s}\n`);
      };
      if ((opts.purge || opts.deleteDrafts) && !opts.yes && !process.stdin.isTTY)
        throw new CliError(
          `${opts.purge ? '--purge' : '--delete-drafts'} deletes things and there is no terminal to ask: add --yes to confirm`,
          'NEEDS_CONFIRMATION',
          EXIT.USAGE,
        );

      // 1. The service, by the service command's own code.
      say('removing the service…');
      // So the summary never claims to have removed a service that was never installed.
      const serviceInstalled = existsSync(serviceFile());
      const serviceCode = await runSelf(['--config', config.file, 'service', 'uninstall']);
      if (serviceCode !== 0) exit = EXIT.FAILURE;

      // 2. Our drafts on the server (the journal knows where each is).
      const storeExists = existsSync(config.dbPath);
      if (storeExists) ctx.lock('understudy uninstall');
      const left = storeExists ? leftDrafts(ctx.db, config.accounts) : [];
      if (left.length) {
        say(
          `${left.length} draft${left.length === 1 ? '' : 's'} of ours ${left.length === 1 ? 'is' : 'are'} still on the server:`,
        );
        for (const l of left) say(`  ${l.draft.account}  ${l.draft.folder}  ${l.draft.subject}`);
      }
      if (opts.deleteDrafts && left.length) {
        if (
          opts.yes ||
          (await confirm(
            `delete ${left.length === 1 ? 'this draft' : `these ${left.length} drafts`} (only those you have not edited)?`,
          ))
        ) {
          await deleteDrafts(ctx.db, config, left);
          for (const l of left)
            say(`  ${l.draft.subject}: ${l.draft.outcome === 'changed' ? 'kept, you edited it' : l.draft.outcome}`);
          if (left.some((l) => l.draft.outcome === 'failed')) exit = EXIT.FAILURE;
        } else say('drafts kept');
      } else if (left.length) say('they stay (understudy uninstall --delete-drafts deletes the untouched ones)');

      // 3. --purge: data, config, keyring.
      let purged: {
        dataDir: string;
        config: string;
        keyring: { entry: string; ok: boolean; error?: string }[];
      } | null = null;
      if (opts.purge) {
        if (serviceCode !== 0) {
          say(
            'not purging: the service could not be removed (see above), and a running daemon would recreate its data',
          );
        } else if (
          opts.yes ||
          (await confirm(`delete ${config.dataDir} (store, models), ${config.file} and keyring entries?`))
        ) {
          ctx.close();
          const keyring = await removeKeyringEntries(config.accounts);
          rmSync(config.dataDir, { recursive: true, force: true });
          rmSync(config.file, { force: true });
          purged = { dataDir: config.dataDir, config: config.file, keyring };
          for (const k of keyring) if (!k.ok) exit = EXIT.FAILURE;
        } else say('nothing purged');
      }
      ctx.close();

      const summary = {
        service: { installed: serviceInstalled, removed: serviceInstalled && serviceCode === 0, exitCode: serviceCode },
        draftsLeft: left.filter((l) => !['removed', 'flagged'].includes(l.draft.outcome ?? '')).map((l) => l.draft),
        draftsDeleted: left.filter((l) => ['removed', 'flagged'].includes(l.draft.outcome ?? '')).map((l) => l.draft),
        purged,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        const parts = [
          serviceCode !== 0
            ? 'the service could not be removed'
            : serviceInstalled
              ? 'service removed'
              : 'no service was installed',
          `${plural(summary.draftsDeleted.length, 'draft')} deleted, ${summary.draftsLeft.length} left on the server`,
          purged
            ? `purged ${purged.dataDir} and ${purged.config}${purged.keyring.length ? `, keyring: ${purged.keyring.map((k) => (k.ok ? `${k.entry} removed` : `${k.entry} not removed (${k.error})`)).join('; ')}` : ''}`
            : 'data and config kept',
        ];
        process.stdout.write(`uninstall: ${parts.join('; ')}\n`);
      }
      process.exitCode = exit;
    });
}
