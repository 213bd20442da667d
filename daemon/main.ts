// `understudy daemon`: the composition root. Runs in the foreground as service managers expect:
// IDLE on each INBOX (new mail → sync → triage → draft), cron schedules for the full sync and
// for training, a single-flight queue per job kind, SIGTERM/SIGINT to stop cleanly, SIGHUP to
// reload the config, and a status file for `understudy status`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cron, { type ScheduledTask } from 'node-cron';
import { type Config, loadConfig } from '../src/config/load.js';
import { disableOnnxTelemetry } from '../src/config/no-telemetry.js';
import { buildDataset } from '../src/dataset/build.js';
import { type DraftModel, loadDraftModel } from '../src/drafts/model.js';
import { draftReplies } from '../src/drafts/run.js';
import { exitCodeOf, isUnderstudyError, logFields } from '../src/errors.js';
import { syncAccount } from '../src/imap/sync-account.js';
import { type IdleWatcher, watchInbox } from '../src/imap/watch.js';
import { latestVersion, promotedVersion } from '../src/model/registry.js';
import { listAccounts } from '../src/store/accounts.js';
import { type DaemonStatus, writeDaemonStatus } from '../src/store/daemon-status-file.js';
import { accountIdByName, storedExamples } from '../src/store/dataset.js';
import { type Db, ensurePrivateDir, openStore } from '../src/store/db.js';
import { draftCounts } from '../src/store/drafts.js';
import { storeErrorFrom } from '../src/store/errors.js';
import { acquireDataLock } from '../src/store/lock.js';
import { gpuBusyReason } from '../src/train/gpu.js';
import { JobQueue } from './jobs.js';
import { daemonLogger } from './log.js';

export interface DaemonOptions {
  configPath?: string;
  logLevel?: string;
}

/**
 * A failure that retrying cannot fix, so the daemon stops (and its unit does not restart it): an
 * error of kind `auth` (the server refused the login: 77) or `config` (the config or the
 * account's secret: 78), with the exit code every command uses for it (src/errors.ts). Null for
 * anything else: `temporary` (network, server down) is retried, `final` skips that piece of work.
 */
export function permanentFailure(err: unknown): { code: string; exitCode: number; message: string } | null {
  if (!isUnderstudyError(err) || (err.kind !== 'auth' && err.kind !== 'config')) return null;
  // One line for `understudy status`.
  const fix = err.fix && !err.fixInMessage ? `; fix: ${err.fix}` : '';
  return { code: err.code, exitCode: exitCodeOf(err), message: `${err.message}${fix}` };
}

export async function runDaemon(options: DaemonOptions): Promise<number> {
  disableOnnxTelemetry(); // drafting runs onnxruntime in this process; training in a child
  // Fail fast, with every problem at once (ConfigError → exit 78, no restart loop).
  let config: Config = loadConfig(options.configPath ? { configPath: options.configPath } : {});
  const logger = daemonLogger(options.logLevel ?? config.logLevel);
  // One daemon per data folder, and no `sync` or `draft` beside it (LockError → exit 75).
  try {
    ensurePrivateDir(config.dataDir);
  } catch (err) {
    throw storeErrorFrom(err, config.dataDir) ?? err;
  }
  const releaseLock = acquireDataLock(config.dataDir, 'understudy daemon');
  process.once('exit', releaseLock);
  let db: Db;
  try {
    db = openStore(config.dbPath);
  } catch (err) {
    releaseLock();
    throw err;
  }
  const startedAt = Date.now();
  const abort = new AbortController();
  let state: DaemonStatus['state'] = 'starting';
  let model: DraftModel | null = null;
  let lastTraining: DaemonStatus['lastTraining'] = null;
  let watchers = new Map<string, IdleWatcher>();
  let tasks: ScheduledTask[] = [];
  let stopped: DaemonStatus['stopped'] = null;
  /** Set once the stop sequence exists: stops the daemon for a failure retrying cannot fix. */
  let stopFor: (failure: NonNullable<ReturnType<typeof permanentFailure>>) => void = () => {};
  const checkPermanent = (err: unknown): boolean => {
    const failure = permanentFailure(err);
    if (failure) stopFor(failure);
    return Boolean(failure);
  };

  const status = () => {
    try {
      const stored = listAccounts(db);
      writeDaemonStatus(config.dataDir, {
        pid: process.pid,
        startedAt,
        updatedAt: Date.now(),
        state,
        accounts: config.accounts.map((a) => {
          const s = stored.find((x) => x.name === a.name);
          return {
            name: a.name,
            idle: Boolean(watchers.get(a.name)?.connected()),
            lastSyncAt: s?.last_sync_at ?? null,
            lastError: s?.last_error ?? null,
          };
        }),
        jobs: queue.states().map((j) => ({
          kind: j.kind,
          running: j.running,
          progress: j.progress,
          lastFinishedAt: j.lastFinishedAt,
          lastError: j.lastError,
          runs: j.runs,
        })),
        model: { version: model?.version ?? promotedVersion(db)?.id ?? null, mode: model?.mode ?? null },
        nextTraining: tasks[1]?.getNextRun()?.getTime() ?? null,
        lastTraining,
        draftsToday: draftCounts(db).today,
        stopped,
      });
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not write the status file');
    }
  };
  const queue = new JobQueue(status);

  const syncAll = async () => {
    for (const account of config.accounts) {
      if (abort.signal.aborted) return;
      try {
        const r = await syncAccount({ db, account, settings: config.sync, logger, signal: abort.signal });
        const added = r.mailboxes.reduce((n, m) => n + m.added, 0);
        logger.info({ account: account.name, added, ms: r.durationMs }, 'synced');
      } catch (err) {
        logger.error({ account: account.name, ...logFields(err) }, 'sync failed');
        if (checkPermanent(err)) return;
      }
    }
  };

  queue.define('sync', async () => {
    await syncAll();
    queue.request('draft');
  });
  queue.define('draft', async () => {
    await syncAll();
    for (const account of config.accounts) {
      if (abort.signal.aborted) return;
      try {
        const r = await draftReplies({
          db,
          config,
          account,
          logger,
          model: async () => {
            // Hot swap: a newly promoted version is picked up here, the old one released.
            model = await loadDraftModel(db, config, model);
            return model;
          },
          onProgress: (m) => queue.setProgress('draft', m),
        });
        for (const d of r.drafted)
          logger.info(
            { account: account.name, uid: d.uid, draftUid: d.draftUid, mode: d.mode, seconds: d.seconds },
            'draft written',
          );
        for (const f of r.failed) logger.warn({ account: account.name, uid: f.uid, reason: f.reason }, 'draft refused');
      } catch (err) {
        logger.error({ account: account.name, ...logFields(err) }, 'drafting failed');
        if (checkPermanent(err)) return;
      }
    }
  });
  queue.define('train', async () => {
    const reason = trainingBlocker(db, config);
    if (reason) {
      logger.info({ reason }, 'training skipped');
      lastTraining = { at: Date.now(), outcome: `skipped: ${reason}` };
      return;
    }
    logger.info('training started');
    const outcome = await trainInChild(config, options.configPath, abort.signal, (line) =>
      queue.setProgress('train', line),
    );
    lastTraining = { at: Date.now(), outcome };
    logger.info({ outcome }, 'training finished');
    if (outcome.startsWith('promoted')) queue.request('draft');
  });

  const schedule = () => {
    for (const t of tasks) void t.destroy();
    tasks = [
      cron.schedule(config.daemon.syncCron, () => queue.request('sync'), { name: 'sync', noOverlap: true }),
      cron.schedule(config.daemon.trainCron, () => queue.request('train'), { name: 'train', noOverlap: true }),
    ];
  };
  const watch = () => {
    const next = new Map<string, IdleWatcher>();
    for (const account of config.accounts) {
      if (!config.daemon.idle) continue;
      next.set(
        account.name,
        watchInbox({
          account,
          settings: config.sync,
          logger,
          onNewMail: () => {
            logger.info({ account: account.name }, 'new mail');
            queue.request('draft');
          },
          onReconnect: () => queue.request('draft'),
          onFatal: (err) => checkPermanent(err),
        }),
      );
    }
    return next;
  };

  schedule();
  watchers = watch();
  state = 'running';
  queue.request('draft');
  const heartbeat = setInterval(status, 5000);
  logger.info(
    {
      pid: process.pid,
      accounts: config.accounts.map((a) => a.name),
      sync: config.daemon.syncCron,
      train: config.daemon.trainCron,
    },
    'daemon started',
  );

  // SIGHUP: reload; a broken file is reported and the running config kept.
  process.on('SIGHUP', () => {
    try {
      const next = loadConfig(options.configPath ? { configPath: options.configPath } : {});
      config = next;
      schedule();
      const old = watchers;
      watchers = watch();
      for (const w of old.values()) void w.stop();
      logger.info('config reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'config reload failed; keeping the running config');
    }
  });

  return new Promise<number>((resolve) => {
    let exitCode = 0;
    const stop = async (signal: string) => {
      if (state === 'stopping' || state === 'stopped') return;
      state = 'stopping';
      logger.info({ signal }, 'stopping');
      status();
      abort.abort();
      for (const t of tasks) void t.destroy();
      await Promise.all([...watchers.values()].map((w) => w.stop()));
      // An APPEND in flight is either confirmed or left 'planned' in the journal; the next
      // start resolves it by searching Drafts for the draft's header.
      const finished = await queue.drain(config.daemon.shutdownTimeoutMs);
      if (!finished) logger.warn('a job did not finish in time; it resumes on the next start');
      clearInterval(heartbeat);
      const loaded = model as DraftModel | null;
      if (loaded) await loaded.generator.close().catch(() => {});
      if (stopped) {
        state = 'stopped';
        status(); // kept after exit: `understudy status` says why the daemon is not running
      }
      db.close();
      releaseLock();
      logger.info({ exitCode }, 'stopped');
      resolve(exitCode);
    };
    stopFor = (failure) => {
      if (stopped || state === 'stopping') return;
      stopped = { at: Date.now(), ...failure };
      exitCode = failure.exitCode;
      // Retrying a refused login every few seconds only gets the account locked by the server.
      logger.error(
        { code: failure.code, exitCode: failure.exitCode, err: failure.message },
        'stopping: this needs your action, retrying will not fix it',
      );
      void stop(failure.code);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}

/** Why training should not run now, or null: too few new examples, or the GPU is busy. */
function trainingBlocker(db: Db, config: Config): string | null {
  let examples = 0;
  for (const account of config.accounts) {
    const id = accountIdByName(db, account.name);
    if (id === undefined) continue;
    buildDataset({ db, account, settings: config.dataset });
    examples += storedExamples(db, id).length;
  }
  // Counted from the last training, promoted or not: a version that lost to the current one
  // must not start another training on the same data at every tick.
  const last = latestVersion(db);
  const before = last ? Number((JSON.parse(last.data) as { examples?: number }).examples ?? 0) : 0;
  const fresh = examples - before;
  if (fresh < config.daemon.minNewExamples)
    return `${fresh} new examples since the last training (daemon.min_new_examples = ${config.daemon.minNewExamples})`;
  return gpuBusyReason(config.train.device, config.train.gpuBusyFraction);
}

/**
 * Training runs as its own process (`understudy train`), so its memory and CPU never block
 * drafting; its worker runs at lower priority (train.nice). On stop it is asked to checkpoint.
 */
function trainInChild(
  config: Config,
  configPath: string | undefined,
  signal: AbortSignal,
  onLine: (line: string) => void,
): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const cli =
    [join(here, '../bin/understudy.js'), join(here, '../../bin/understudy.js')].find((p) => existsSync(p)) ??
    join(here, '../bin/understudy.js');
  const args = [cli, ...(configPath ? ['--config', configPath] : []), 'train', '--json'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UNDERSTUDY_CONFIG: config.file, UNDERSTUDY_PARENT_PID: String(process.pid) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const last = b.toString().trim().split('\n').at(-1);
      if (last) onLine(last);
    });
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort, { once: true });
    // Could not start at all (EAGAIN, EMFILE): a failed training, never an unhandled 'error'.
    child.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      resolve(`failed to start: ${e.message}`);
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (code !== 0) return resolve(`failed (exit ${code}): ${err.trim().split('\n').at(-1) ?? ''}`);
      try {
        const r = JSON.parse(out) as { promoted: boolean; version: { id: number }; decision: string };
        resolve(`${r.promoted ? 'promoted' : 'not promoted'} version ${r.version.id}: ${r.decision}`);
      } catch {
        resolve('finished');
      }
    });
  });
}
