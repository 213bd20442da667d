// Where Understudy keeps its files: XDG base directories, with overrides for tests and services.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

function xdg(env: Env, name: 'XDG_CONFIG_HOME' | 'XDG_DATA_HOME', fallback: string): string {
  const value = env[name];
  // The XDG spec says relative values are invalid and must be ignored.
  return value && isAbsolute(value) ? value : join(homeOf(env), fallback);
}

function homeOf(env: Env): string {
  return env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
}

/** The config file to read: `--config`, then `$UNDERSTUDY_CONFIG`, then the XDG location. */
export function configFilePath(explicit: string | undefined, env: Env = process.env): string {
  if (explicit) return resolve(expandHome(explicit, env));
  if (env.UNDERSTUDY_CONFIG) return resolve(expandHome(env.UNDERSTUDY_CONFIG, env));
  return join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'understudy', 'config.toml');
}

/** The default data directory (database, models, state): `$XDG_DATA_HOME/understudy`. */
export function defaultDataDir(env: Env = process.env): string {
  return join(xdg(env, 'XDG_DATA_HOME', join('.local', 'share')), 'understudy');
}

/** Expands a leading `~/` the way a shell would; TOML has no such notion but users write it. */
export function expandHome(path: string, env: Env = process.env): string {
  if (path === '~') return homeOf(env);
  if (path.startsWith('~/')) return join(homeOf(env), path.slice(2));
  return path;
}

/** Resolves a path from the config file: `~` expanded, relative to the config file's folder. */
export function resolveConfigPath(path: string, configDir: string, env: Env = process.env): string {
  return resolve(configDir, expandHome(path, env));
}
