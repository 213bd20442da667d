// The daemon's three jobs, each a pass over the configured accounts: sync, draft (after a sync),
// and train when the schedule says it is due. A failure of one account is logged and the next
// account goes on, unless it needs the user (a refused login, a broken secret): then the daemon
// stops (see exit.ts).
import type { Config } from '../src/config/load.js';
import type { Logger } from '../src/config/logger.js';
import { type DraftModel, loadDraftModel } from '../src/drafts/model.js';
import { draftReplies } from '../src/drafts/run.js';
import { logFields } from '../src/errors.js';
import { FailureStreak } from '../src/imap/failure-streak.js';
import { type AccountSyncResult, syncAccount } from '../src/imap/sync-account.js';
import type { Db } from '../src/store/db.js';
import type { TrainingSchedule } from '../src/train/schedule.js';
import { describeOutcome, type TrainingOutcome, trainInChild } from './train-child.js';

/** What every job needs from the running daemon. */
export interface DaemonRuntime {
  db: Db;
  /** The config now (SIGHUP replaces it). */
  config: () => Config;
  /** Given on the command line; null for the default location (passed on to the training child). */
  configPath: string | null;
  logger: Logger;
  /** Aborted when the daemon stops: jobs end between accounts and batches. */
  signal: AbortSignal;
  /** Stops the daemon when `err` needs the user; true when it did (the job then ends). */
  stopIfPermanent: (err: unknown) => boolean;
}

/** The drafting model, loaded on first need and swapped when a newer version is promoted. */
export class DraftModelSlot {
  current: DraftModel | null = null;

  /** The model to draft with now: the loaded one, or the newly promoted one (the old one released). */
  async load(db: Db, config: Config): Promise<DraftModel> {
    this.current = await loadDraftModel(db, config, this.current);
    return this.current;
  }

  async close(): Promise<void> {
    const loaded = this.current;
    this.current = null;
    if (loaded) await loaded.generator.close().catch(() => {});
  }
}

/** Each runtime's failure streak per account: what its last sync failed with. */
const syncStreaks = new WeakMap<DaemonRuntime, Map<string, FailureStreak>>();

function syncFailures(rt: DaemonRuntime, account: string): FailureStreak {
  const byAccount = syncStreaks.get(rt) ?? new Map<string, FailureStreak>();
  syncStreaks.set(rt, byAccount);
  const streak = byAccount.get(account) ?? new FailureStreak();
  byAccount.set(account, streak);
  return streak;
}

/**
 * The log line for a finished account sync: `added` counts every message stored, also in a
 * mailbox stopped partway (SIGTERM between batches); such a sync is 'sync interrupted' and lists
 * the mailboxes left for the next run, so the line never says a complete sync of nothing.
 */
export function syncedLine(r: AccountSyncResult): { fields: Record<string, unknown>; message: string } {
  const added = r.mailboxes.reduce((n, m) => n + m.added, 0);
  const fields = { account: r.account, added, ms: r.durationMs };
  if (r.interrupted.length === 0) return { fields, message: 'synced' };
  return {
    fields: { ...fields, interrupted: r.interrupted },
    message: 'sync interrupted; the next sync continues where it stopped',
  };
}

/** Syncs every account in turn. */
export async function syncAccounts(rt: DaemonRuntime): Promise<void> {
  const config = rt.config();
  for (const account of config.accounts) {
    if (rt.signal.aborted) return;
    try {
      const r = await syncAccount({ db: rt.db, account, settings: config.sync, logger: rt.logger, signal: rt.signal });
      syncFailures(rt, account.name).reset();
      const line = syncedLine(r);
      rt.logger.info(line.fields, line.message);
    } catch (err) {
      // The cause and its fix in full the first time; the same failure on every later sync (a
      // wrong tls/port fails each one alike) once more in short, not the whole line again.
      const streak = syncFailures(rt, account.name);
      if (streak.isNew(err)) rt.logger.error({ account: account.name, ...logFields(err) }, 'sync failed');
      else
        rt.logger.warn(
          { account: account.name, code: logFields(err).code, times: streak.count },
          'sync failed again, same cause (logged above; understudy status shows it)',
        );
      if (rt.stopIfPermanent(err)) return;
    }
  }
}

/** Drafts replies to new mail in every account (the caller syncs first). */
export async function draftAccounts(
  rt: DaemonRuntime,
  model: DraftModelSlot,
  onProgress: (message: string) => void,
): Promise<void> {
  const config = rt.config();
  for (const account of config.accounts) {
    if (rt.signal.aborted) return;
    try {
      const r = await draftReplies({
        db: rt.db,
        config,
        account,
        logger: rt.logger,
        model: () => model.load(rt.db, config),
        onProgress,
      });
      for (const d of r.drafted)
        rt.logger.info(
          { account: account.name, uid: d.uid, draftUid: d.draftUid, mode: d.mode, seconds: d.seconds },
          'draft written',
        );
      for (const f of r.failed)
        rt.logger.warn({ account: account.name, uid: f.uid, reason: f.reason }, 'draft refused');
    } catch (err) {
      rt.logger.error({ account: account.name, ...logFields(err) }, 'drafting failed');
      if (rt.stopIfPermanent(err)) return;
    }
  }
}

/**
 * Trains in a child process when `schedule` says training is due; otherwise returns `skipped`
 * with the reason. Throws what the schedule's check throws (a StoreError, a DatasetError).
 */
export async function trainWhenDue(
  rt: DaemonRuntime,
  schedule: TrainingSchedule,
  onLine: (line: string) => void,
): Promise<TrainingOutcome> {
  const config = rt.config();
  const decision = schedule.decide(rt.db, config);
  if (!decision.due) {
    const reason = decision.reason ?? 'not due';
    rt.logger.info({ reason }, 'training skipped');
    return { status: 'skipped', reason };
  }
  rt.logger.info({ freshExamples: decision.freshExamples }, 'training started');
  const outcome = await trainInChild({ configFile: config.file, configPath: rt.configPath, signal: rt.signal, onLine });
  rt.logger.info({ outcome: describeOutcome(outcome), status: outcome.status }, 'training finished');
  return outcome;
}
