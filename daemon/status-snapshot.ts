// The daemon's status as `understudy status` shows it, gathered from its running parts and the
// store (file format and writing: src/store/daemon-status-file.ts).
import type { Config } from '../src/config/load.js';
import type { IdleWatcher } from '../src/imap/watch.js';
import { listAccounts } from '../src/store/accounts.js';
import type { DaemonStatus } from '../src/store/daemon-status-file.js';
import type { Db } from '../src/store/db.js';
import { draftCounts } from '../src/store/drafts.js';
import { promotedVersion } from '../src/store/model-versions.js';
import type { JobQueue } from './jobs.js';
import type { DraftModelSlot } from './work.js';

/** What the snapshot is taken from. */
export interface RunningParts {
  startedAt: number;
  state: DaemonStatus['state'];
  config: Config;
  db: Db;
  watchers: ReadonlyMap<string, IdleWatcher>;
  queue: JobQueue;
  model: DraftModelSlot;
  /** When the training cron fires next (ms since the epoch), or null. */
  nextTraining: number | null;
  lastTraining: DaemonStatus['lastTraining'];
  stopped: DaemonStatus['stopped'];
}

/** The status now. Reads the store (accounts' last sync, today's drafts); throws what SQLite throws. */
export function statusSnapshot(parts: RunningParts): DaemonStatus {
  const { config, db, model } = parts;
  const stored = listAccounts(db);
  return {
    pid: process.pid,
    startedAt: parts.startedAt,
    updatedAt: Date.now(),
    state: parts.state,
    accounts: config.accounts.map((a) => {
      const s = stored.find((x) => x.name === a.name);
      return {
        name: a.name,
        idle: Boolean(parts.watchers.get(a.name)?.connected()),
        lastSyncAt: s?.last_sync_at ?? null,
        lastError: s?.last_error ?? null,
      };
    }),
    jobs: parts.queue.states().map(({ kind, running, progress, lastFinishedAt, lastError, runs }) => ({
      kind,
      running,
      progress,
      lastFinishedAt,
      lastError,
      runs,
    })),
    model: { version: model.current?.version ?? promotedVersion(db)?.id ?? null, mode: model.current?.mode ?? null },
    nextTraining: parts.nextTraining,
    lastTraining: parts.lastTraining,
    draftsToday: draftCounts(db).today,
    stopped: parts.stopped,
  };
}
