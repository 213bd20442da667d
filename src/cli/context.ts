// What every command needs, built on demand from the global options: config, logger, store.
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../config/logger.js';
import { type Db, openStore } from '../store/db.js';

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

export class CliContext {
  private cachedConfig?: Config;
  private cachedDb?: Db;
  private cachedLogger?: Logger;

  constructor(private readonly options: GlobalOptions) {}

  static from(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>());
  }

  get config(): Config {
    this.cachedConfig ??= loadConfig(this.options.config ? { configPath: this.options.config } : {});
    return this.cachedConfig;
  }

  get logger(): Logger {
    // Until the config is read, only warnings; `--log-level` wins over the file.
    this.cachedLogger ??= createLogger({
      level: this.options.logLevel ?? this.cachedConfig?.logLevel ?? 'warn',
      destination: 2,
    });
    return this.cachedLogger;
  }

  get db(): Db {
    this.cachedDb ??= openStore(this.config.dbPath);
    return this.cachedDb;
  }

  close(): void {
    this.cachedDb?.close();
  }
}
