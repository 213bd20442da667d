// Synchronises every selected mailbox of one account, over a few parallel connections, and
// retries temporary failures on fresh connections, waiting as session.ts's SYNC_BACKOFF says.
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, SyncSettings } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import type { Credential } from '../config/secrets.js';
import { isUnderstudyError } from '../errors.js';
import { ensureAccount, recordAccountSync } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { storeErrorFrom } from '../store/errors.js';
import {
  deleteMailbox,
  deleteOrphanContents,
  recordMailboxError,
  listMailboxes as storedMailboxes,
} from '../store/mailboxes.js';
import { disconnect } from './connect.js';
import {
  type ExcludedSent,
  listMailboxes,
  type MailboxInfo,
  type Selection,
  selectMailboxes,
  type UnmatchedGlob,
} from './discover.js';
import { classifyImapError, type ImapError, underlyingError } from './errors.js';
import { FailureStreak } from './failure-streak.js';
import { skipIfUnchanged, statusQueryFor } from './mailbox-status.js';
import { openSession, reconnectDelay, SYNC_BACKOFF } from './session.js';
import {
  type MailboxProgress,
  type MailboxSyncContext,
  type MailboxSyncResult,
  SyncStopped,
  syncMailbox,
} from './sync-mailbox.js';

export interface AccountSyncOptions {
  db: Db;
  account: AccountConfig;
  settings: SyncSettings;
  logger?: Logger | undefined;
  onProgress?: ((p: MailboxProgress) => void) | undefined;
  /** Tells the caller about waits and reconnects ("connection lost, retrying in 2 s"). */
  onNotice?: ((message: string) => void) | undefined;
  /** Supplied by tests and by the daemon (which caches it); otherwise read from the source. */
  credential?: Credential | undefined;
  /** Stops between batches; the interrupted mailbox resumes on the next run. */
  signal?: AbortSignal | undefined;
}

export interface AccountSyncResult {
  account: string;
  mailboxes: MailboxSyncResult[];
  /** Mailboxes dropped from the store because they left the selection or the server. */
  removed: { path: string; messages: number }[];
  skipped: Selection['skipped'];
  /** folders.include/exclude globs that matched no mailbox on the server (shown as warnings). */
  unmatched: UnmatchedGlob[];
  /** The sent-mail folder, left out by folders.exclude: no replies to train on (shown as a warning). */
  excludedSent: ExcludedSent[];
  /** Mailboxes that could not be synced (final errors); the others were. */
  failed: { path: string; error: ImapError }[];
  reconnects: number;
  /**
   * Mailboxes left for the next run because the sync was asked to stop; one stopped partway is in
   * `mailboxes` too, with what it stored before the stop.
   */
  interrupted: string[];
  /** Mailboxes found unchanged from the LIST-STATUS answer alone, never SELECTed (in `mailboxes` too). */
  unchangedByStatus: string[];
  durationMs: number;
}

export async function syncAccount(options: AccountSyncOptions): Promise<AccountSyncResult> {
  const { db, account, settings, logger } = options;
  const started = Date.now();
  let accountId: number;
  try {
    accountId = ensureAccount(db, account);
  } catch (err) {
    throw storeErrorFrom(err) ?? err; // a locked, full or read-only store: say so, not "IMAP"
  }
  const where = { host: account.host, port: account.port, user: account.user };
  const result: AccountSyncResult = {
    account: account.name,
    mailboxes: [],
    removed: [],
    skipped: [],
    unmatched: [],
    excludedSent: [],
    failed: [],
    reconnects: 0,
    interrupted: [],
    unchangedByStatus: [],
    durationMs: 0,
  };
  try {
    const session = await openSession({ account, settings, logger, credential: options.credential });
    const vanished = new Map<string, Set<number>>();
    const open = () =>
      session.connect({
        onExpunge: (event) => {
          if (event.uid !== undefined) vanished.get(event.path)?.add(event.uid);
        },
      });

    let pending: MailboxInfo[] | null = null;
    let firstFailureAt: number | null = null;
    const streak = new FailureStreak();
    /** The server answered at least once in this run: a failure now is it going away, not a typo. */
    let reached = false;
    for (let attempt = 0; ; attempt++) {
      let temporary: ImapError | null = null;
      try {
        const first = await open();
        reached = true;
        if (pending === null) {
          const listed = await listMailboxes(first, account.folders, statusQueryFor(first));
          const selection = selectMailboxes(listed, account.folders);
          result.skipped = selection.skipped;
          result.unmatched = selection.unmatched;
          for (const u of selection.unmatched)
            warnOncePerProcess(logger, { account: account.name, key: u.key, glob: u.glob }, u.message);
          result.excludedSent = selection.excludedSent;
          for (const x of selection.excludedSent)
            warnOncePerProcess(
              logger,
              { account: account.name, mailbox: x.path, globs: x.globs, fix: x.fix },
              x.message,
            );
          result.removed = dropDeselected(db, accountId, selection.selected);
          // A mailbox whose STATUS shows no change is done here: it is not selected (IMAP select),
          // and no second connection is opened when every mailbox is unchanged. The others are synced as before.
          // One transaction for all of them: one commit (and WAL sync) instead of one per mailbox.
          const skipped = db.transaction((boxes: MailboxInfo[]) =>
            boxes.map((box) => ({ box, unchanged: skipIfUnchanged(db, accountId, box, box.status) })),
          )(selection.selected);
          pending = [];
          for (const { box, unchanged } of skipped) {
            if (!unchanged) {
              pending.push(box);
              continue;
            }
            result.mailboxes.push(unchanged);
            result.unchangedByStatus.push(box.path);
            options.onProgress?.({ mailbox: box.path, phase: 'done', done: unchanged.exists, total: unchanged.exists });
          }
        }
        const failedTemporarily = await runWorkers(first, pending, open, {
          db,
          accountId,
          settings,
          logger,
          onProgress: options.onProgress,
          vanished,
          signal: options.signal,
          result,
          where,
        });
        pending = failedTemporarily.mailboxes;
        temporary = failedTemporarily.error;
      } catch (err) {
        const error = classifyImapError(err, where);
        if (error.kind !== 'temporary') throw error;
        temporary = error;
      }
      if (options.signal?.aborted && pending && pending.length > 0) {
        result.interrupted = pending.map((b) => b.path);
        break;
      }
      if (!temporary || (pending && pending.length === 0)) break;
      if (options.signal?.aborted) throw temporary;
      // Give up only when both the retries and the time window are spent: three quick retries
      // alone are over in seconds, before a restarting server is back. A server never reached in
      // this run (a wrong host or port) gets the retries only, so the user hears of it quickly.
      firstFailureAt ??= Date.now();
      const delay = reconnectDelay(attempt, SYNC_BACKOFF);
      const windowLeft = reached ? firstFailureAt + (settings.retryWindowMs ?? 0) - Date.now() : 0;
      if (attempt >= settings.retries && delay > windowLeft) throw temporary;
      result.reconnects++;
      options.onNotice?.(`${account.name}: ${temporary.message}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      // The cause and its fix once at warn; the same failure on the next attempts at debug.
      logger?.[streak.isNew(temporary) ? 'warn' : 'debug'](
        {
          account: account.name,
          code: temporary.code,
          err: temporary.message,
          ...(temporary.fix ? { fix: temporary.fix } : {}),
          cause: underlyingError(temporary),
          attempt: attempt + 1,
          delayMs: delay,
        },
        'temporary IMAP failure, reconnecting',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
    // Order is important: contents are collected only after every mailbox is done, so that no
    // batch can refer to a content that another mailbox's expunge just orphaned.
    // Skipped when nothing changed at all; a change also sweeps what a killed run left behind.
    const changed =
      result.removed.length + result.mailboxes.reduce((n, m) => n + m.added + m.expunged + (m.reset ? 1 : 0), 0);
    if (changed > 0) deleteOrphanContents(db);
    result.durationMs = Date.now() - started;
    // A sync stopped by its signal (Ctrl-C, the daemon's SIGTERM) is not a complete one: the
    // account's last complete sync stays what it was.
    if (result.failed.length === 0) {
      if (result.interrupted.length === 0) recordAccountSync(db, accountId, { at: Date.now() });
    } else
      recordAccountSync(db, accountId, {
        at: Date.now(),
        error: {
          message: result.failed.map((f) => `${f.path}: ${f.error.message}`).join('; '),
          kind: 'final',
        },
      });
    return result;
  } catch (err) {
    // The account's own setup (its secret: kind config) is recorded as it is; anything else is
    // classified as an IMAP failure (a local storage failure is thrown unrecorded: the store fails).
    const error = isUnderstudyError(err) && err.kind === 'config' ? err : classifyImapError(err, where);
    recordAccountSync(db, accountId, { at: Date.now(), error: { message: error.message, kind: error.kind } });
    throw error;
  }
}

/** Mailboxes in the store that are no longer selected (excluded, or gone from the server). */
function dropDeselected(db: Db, accountId: number, selected: MailboxInfo[]): AccountSyncResult['removed'] {
  const keep = new Set(selected.map((b) => b.path));
  const removed: AccountSyncResult['removed'] = [];
  for (const row of storedMailboxes(db, accountId)) {
    if (!keep.has(row.path)) removed.push({ path: row.path, messages: deleteMailbox(db, row.id) });
  }
  return removed;
}

interface WorkerContext extends Omit<MailboxSyncContext, 'client'> {
  signal?: AbortSignal | undefined;
  result: AccountSyncResult;
  where: { host: string; port: number; user: string };
}

/**
 * Syncs `mailboxes` over up to `parallelMailboxes` connections. A connection that fails
 * temporarily stops its worker and hands its mailbox back; the others carry on. Returns what
 * is left to do and the first temporary error.
 */
async function runWorkers(
  first: ImapFlow,
  mailboxes: MailboxInfo[],
  open: () => Promise<ImapFlow>,
  ctx: WorkerContext,
): Promise<{ mailboxes: MailboxInfo[]; error: ImapError | null }> {
  const queue = [...mailboxes];
  const handedBack: MailboxInfo[] = [];
  let error: ImapError | null = null;
  const workers = Math.max(1, Math.min(ctx.settings.parallelMailboxes, queue.length));

  const work = async (index: number) => {
    let client: ImapFlow | null = null;
    try {
      client = index === 0 ? first : await open();
    } catch (err) {
      const e = classifyImapError(err, ctx.where);
      if (e.kind !== 'temporary') throw e;
      error ??= e;
      if (index === 0) first.close();
      return;
    }
    try {
      for (let box = queue.shift(); box; box = queue.shift()) {
        if (ctx.signal?.aborted) {
          handedBack.push(box);
          continue;
        }
        try {
          const done = await syncMailbox({ ...ctx, client }, box);
          ctx.result.mailboxes.push(done);
        } catch (err) {
          if (err instanceof SyncStopped) {
            handedBack.push(box);
            // What was stored before the stop counts (the daemon logged `added: 0` for it); the
            // mailbox is also in `interrupted`, and the next run resumes it.
            if (err.partial && (err.partial.added > 0 || err.partial.reset)) ctx.result.mailboxes.push(err.partial);
            continue;
          }
          const e = classifyImapError(err, { ...ctx.where, mailbox: box.path });
          if (e.kind === 'temporary' || !client.usable) {
            handedBack.push(box);
            error ??= e;
            return;
          }
          if (e.kind === 'auth') throw e;
          ctx.logger?.error({ mailbox: box.path, code: e.code, err: e.message }, 'mailbox sync failed');
          recordMailboxError(ctx.db, ctx.accountId, box.path, e.message);
          ctx.result.failed.push({ path: box.path, error: e });
        }
      }
    } finally {
      await disconnect(client);
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: workers }, (_, i) => work(i)));
  const fatal = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (fatal) throw fatal.reason;
  return { mailboxes: [...handedBack, ...queue], error };
}

/**
 * Folder-selection warnings (an unmatched glob, an excluded Sent folder) describe the config, not
 * this run: the daemon syncs every few minutes, so each is logged at warn the first time this
 * process sees it and at debug after that. The CLI, one sync per process, always warns.
 */
const warnedSelections = new Set<string>();
export function warnOncePerProcess(logger: Logger | undefined, fields: Record<string, unknown>, message: string): void {
  const key = `${JSON.stringify(fields)}\u0000${message}`;
  if (warnedSelections.has(key)) {
    logger?.debug(fields, message);
    return;
  }
  warnedSelections.add(key);
  logger?.warn(fields, message);
}
