// A throwaway mail account on the test Dovecot plus a config and data dir pointing at it.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { type Config, parseConfig } from '../../src/config/load.js';
import { addUser, type DovecotInfo } from './dovecot.js';
import { openClient } from './mail.js';

export interface TestAccount {
  server: DovecotInfo;
  user: string;
  password: string;
  dir: string;
  configFile: string;
  config: Config;
  client(): Promise<ImapFlow>;
  /** Rewrites the config (e.g. to add excludes) and returns the new parsed config. */
  writeConfig(extra?: { account?: string; top?: string; password?: string; port?: number; tls?: string }): Config;
}

export function newAccount(server: DovecotInfo, extra: { account?: string; top?: string } = {}): TestAccount {
  const { user, password } = addUser(server);
  const dir = mkdtempSync(join(tmpdir(), 'understudy-test-'));
  const configFile = join(dir, 'config.toml');
  const account: TestAccount = {
    server,
    user,
    password,
    dir,
    configFile,
    config: undefined as unknown as Config,
    client: () => openClient(server, user, password),
    writeConfig(more = {}) {
      const secretFile = join(dir, 'imap.pass');
      writeFileSync(secretFile, `${more.password ?? password}\n`, { mode: 0o600 });
      const text = `data_dir = "${join(dir, 'data')}"
log_level = "warn"
${more.top ?? extra.top ?? ''}

[[accounts]]
name = "test"
host = "${server.host}"
port = ${more.port ?? server.port}
tls = "${more.tls ?? 'none'}"
user = "${user}"
addresses = ["${user}@example.test"]
password_file = "${secretFile}"
${more.account ?? extra.account ?? ''}
`;
      writeFileSync(configFile, text, { mode: 0o600 });
      account.config = parseConfig(text, configFile);
      return account.config;
    },
  };
  account.writeConfig();
  return account;
}

export const CLI = resolve(import.meta.dirname, '../../bin/understudy.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/understudy.js`) as a separate process. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}
