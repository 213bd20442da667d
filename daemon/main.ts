// `understudy daemon`: the composition root. Reads the config, opens the store (one daemon per
// data folder), and wires the parts together: IDLE on each INBOX (src/imap/watch.ts: new mail →
// sync → triage → draft), cron schedules for the full sync and for training (src/train/schedule.ts
// decides whether it is due), a single-flight queue per job kind (jobs.ts, work.ts), SIGTERM/SIGINT
// to stop cleanly, SIGHUP to reload the config, and the status file for `understudy status`.
import cron, { type ScheduledTask } from 'node-cron';
import { type Config, loadConfig } from '../src/config/load.js';
import { disableOnnxTelemetry } from '../src/config/no-telemetry.js';
import { type IdleWatcher, watchInbox } from '../src/imap/watch.js';
import { type DaemonStatus, writeDaemonStatus } from '../src/store/daemon-status-file.js';
import { type Db, ensurePrivateDir, openStore } from '../src/store/db.js';
import { storeErrorFrom } from '../src/store/errors.js';
import { acquireDataLock } from '../src/store/lock.js';
import { TrainingSchedule } from '../src/train/schedule.js';
import { setWorkerSandboxMode } from '../src/worker/sandbox.js';
import { type PermanentFailure, permanentFailure } from './exit.js';
import { JobQueue } from './jobs.js';
import { daemonLogger } from './log.js';
import { statusSnapshot } from './status-snapshot.js';
import { describeOutcome } from './train-child.js';
import { type DaemonRuntime, DraftModelSlot, draftAccounts, syncAccounts, trainWhenDue } from './work.js';

export interface DaemonOptions {
  configPath?: string;
  logLevel?: string;
}

/**
 * Runs the daemon until SIGTERM/SIGINT (resolves 0) or a failure that needs the user (resolves
 * its exit code: 77 refused login, 78 config or secret). Throws, before anything runs, what keeps
 * it from starting: ConfigError (78), LockError (75), a StoreError (73/74).
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  disableOnnxTelemetry(); // drafting runs onnxruntime in this process; training in a child
  // Fail fast, with every problem at once (ConfigError → exit 78, no restart loop).
  const load = () => {
    const loaded = loadConfig(options.configPath ? { configPath: options.configPath } : {});
    // train.sandbox for a worker this process starts (drafting's one-time export of the base model).
    setWorkerSandboxMode(loaded.train.sandbox);
    return loaded;
  };
  let config: Config = load();
  const logger = daemonLogger(options.logLevel ?? config.logLevel);
  const { db, releaseLock } = openDataFolder(config);

  const startedAt = Date.now();
  const abort = new AbortController();
  const model = new DraftModelSlot();
  const schedule = new TrainingSchedule();
  let state: DaemonStatus['state'] = 'starting';
  let lastTraining: DaemonStatus['lastTraining'] = null;
  let watchers = new Map<string, IdleWatcher>();
  let tasks: ScheduledTask[] = [];
  let stopped: DaemonStatus['stopped'] = null;
  /** Set once the stop sequence exists: stops the daemon for a failure retrying cannot fix. */
  let stopFor: (failure: PermanentFailure) => void = () => {};
  const runtime: DaemonRuntime = {
    db,
    config: () => config,
    configPath: options.configPath ?? null,
    logger,
    signal: abort.signal,
    stopIfPermanent: (err) => {
      const failure = permanentFailure(err);
      if (failure) stopFor(failure);
      return Boolean(failure);
    },
  };

  const status = () => {
    try {
      writeDaemonStatus(
        config.dataDir,
        statusSnapshot({
          startedAt,
          state,
          config,
          db,
          watchers,
          queue,
          model,
          nextTraining: tasks[1]?.getNextRun()?.getTime() ?? null,
          lastTraining,
          stopped,
        }),
      );
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not write the status file');
    }
  };
  const queue = new JobQueue(status);
  queue.define('sync', async () => {
    await syncAccounts(runtime);
    queue.request('draft');
  });
  queue.define('draft', async () => {
    await syncAccounts(runtime);
    await draftAccounts(runtime, model, (m) => queue.setProgress('draft', m));
  });
  queue.define('train', async () => {
    const outcome = await trainWhenDue(runtime, schedule, (line) => queue.setProgress('train', line));
    lastTraining = {
      at: Date.now(),
      status: outcome.status,
      version: 'version' in outcome ? outcome.version : null,
      outcome: describeOutcome(outcome),
    };
    // A new promoted version drafts what is waiting with it (the slot swaps the model).
    if (outcome.status === 'promoted') queue.request('draft');
  });

  const scheduleJobs = () => {
    for (const t of tasks) void t.destroy();
    tasks = [
      cron.schedule(config.daemon.syncCron, () => queue.request('sync'), { name: 'sync', noOverlap: true }),
      cron.schedule(config.daemon.trainCron, () => queue.request('train'), { name: 'train', noOverlap: true }),
    ];
  };
  const watch = () => {
    const next = new Map<string, IdleWatcher>();
    if (!config.daemon.idle) return next;
    for (const account of config.accounts)
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
          onFatal: runtime.stopIfPermanent,
        }),
      );
    return next;
  };

  scheduleJobs();
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
      config = load();
      scheduleJobs();
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
    /** `reason`: the signal's name, or the error code of a failure retrying cannot fix. */
    const stop = async (reason: { signal: string } | { code: string }) => {
      if (state === 'stopping' || state === 'stopped') return;
      state = 'stopping';
      logger.info(reason, 'stopping');
      status();
      abort.abort();
      for (const t of tasks) void t.destroy();
      await Promise.all([...watchers.values()].map((w) => w.stop()));
      // An APPEND in flight is either confirmed or left 'planned' in the journal; the next
      // start resolves it by searching Drafts for the draft's header.
      const finished = await queue.drain(config.daemon.shutdownTimeoutMs);
      if (!finished) logger.warn('a job did not finish in time; it resumes on the next start');
      clearInterval(heartbeat);
      await model.close();
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
      void stop({ code: failure.code });
    };
    process.once('SIGTERM', () => void stop({ signal: 'SIGTERM' }));
    process.once('SIGINT', () => void stop({ signal: 'SIGINT' }));
  });
}

/**
 * Takes the data folder for this daemon: creates it private (0700), locks it (one daemon per
 * folder, and no `sync` or `draft` beside it: LockError, exit 75) and opens the store. Throws a
 * StoreError for a folder or store it cannot write (73/74); the lock is released again then.
 */
function openDataFolder(config: Config): { db: Db; releaseLock: () => void } {
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
  return { db, releaseLock };
}
