// What every command needs, built on demand from the global options: config, logger, store.
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../config/logger.js';
import { type Db, ensurePrivateDir, openStore } from '../store/db.js';
import { storeErrorFrom } from '../store/errors.js';
import { acquireDataLock } from '../store/lock.js';
import { setWorkerSandboxMode } from '../worker/sandbox.js';

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

export class CliContext {
  private cachedConfig?: Config;
  private cachedDb?: Db;
  private cachedLogger?: Logger;
  private releases: (() => void)[] = [];

  constructor(private readonly options: GlobalOptions) {}

  static from(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>());
  }

  get config(): Config {
    if (!this.cachedConfig) {
      this.cachedConfig = loadConfig(this.options.config ? { configPath: this.options.config } : {});
      // train.sandbox applies to every Python worker this command starts (src/worker/sandbox.ts).
      setWorkerSandboxMode(this.cachedConfig.train.sandbox);
    }
    return this.cachedConfig;
  }

  get logger(): Logger {
    // Commands tell the user what happens in plain words (warnings included), so their JSON log
    // on stderr would say everything twice: it is shown only when `--log-level` asks for it. The
    // config's log_level is the daemon's, whose log nobody reads live (issue 15: every warning
    // was printed twice, once as raw JSON, after init wrote log_level = "info").
    this.cachedLogger ??= createLogger({
      level: this.options.logLevel ?? 'silent',
      destination: 2,
    });
    return this.cachedLogger;
  }

  get db(): Db {
    this.cachedDb ??= openStore(this.config.dbPath);
    return this.cachedDb;
  }

  /**
   * Takes the data folder's work lock for this command (see acquireDataLock) until close() or
   * exit. Commands that write the store or the server call it before doing anything.
   * @throws LockError naming the holder when another Understudy works on the same data folder.
   */
  lock(command: string): void {
    const dataDir = this.config.dataDir;
    try {
      ensurePrivateDir(dataDir);
    } catch (err) {
      throw storeErrorFrom(err, dataDir) ?? err;
    }
    const release = acquireDataLock(dataDir, command);
    // A command that exits without close() (process.exit, an uncaught error) still frees it.
    process.once('exit', release);
    this.releases.push(() => {
      process.off('exit', release);
      release();
    });
  }

  close(): void {
    this.cachedDb?.close();
    for (const release of this.releases.splice(0)) release();
  }
}
