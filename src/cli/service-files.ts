// Renders the service definitions in systemd/ with this installation's real paths.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

export interface ServicePaths {
  node: string;
  bin: string;
  config: string;
  dataDir: string;
  logDir: string;
  path: string;
}

/** The package root: beside dist/ (installed) or above src/cli (running from source). */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '..'), resolve(here, '../..')]) {
    if (existsSync(join(candidate, 'systemd', 'understudy.service.in'))) return candidate;
  }
  throw new CliError(
    `systemd/understudy.service.in not found near ${here}: this installation is incomplete; reinstall Understudy`,
    'INSTALL_INCOMPLETE',
    EXIT.SOFTWARE,
  );
}

export function servicePaths(config: string, dataDir: string, env: NodeJS.ProcessEnv = process.env): ServicePaths {
  const root = packageRoot();
  return {
    node: process.execPath,
    bin: join(root, 'bin', 'understudy.js'),
    config,
    dataDir,
    logDir: join(homedir(), 'Library', 'Logs'),
    // The daemon finds python3 (training) and nvidia-smi on this PATH.
    path: [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin', ...(env.PATH ?? '').split(':')]
      .filter((p, i, all) => p && all.indexOf(p) === i)
      .join(':'),
  };
}

function render(template: string, paths: ServicePaths, quote: (s: string) => string): string {
  const values: Record<string, string> = {
    NODE: paths.node,
    BIN: paths.bin,
    CONFIG: paths.config,
    DATA_DIR: paths.dataDir,
    LOG_DIR: paths.logDir,
    PATH: paths.path,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => quote(values[key] ?? ''));
}

/** systemd quotes paths with spaces ("…"); % starts a specifier and is doubled. */
export function renderSystemdUnit(paths: ServicePaths): string {
  const template = readFileSync(join(packageRoot(), 'systemd', 'understudy.service.in'), 'utf8');
  return render(template, paths, (s) => {
    const escaped = s.replace(/%/g, '%%');
    return /\s/.test(escaped) ? `"${escaped.replace(/"/g, '\\"')}"` : escaped;
  });
}

export function renderLaunchdPlist(paths: ServicePaths): string {
  const template = readFileSync(join(packageRoot(), 'systemd', 'com.understudy.daemon.plist.in'), 'utf8');
  return render(template, paths, (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}
