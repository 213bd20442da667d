// Config parsing and validation: defaults, resolution, and every-problem-at-once errors.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { configFilePath, defaultDataDir } from '../../src/config/paths.js';
import { isLoopbackHost } from '../../src/config/schema.js';

const env = { HOME: '/home/ann' };
const minimal = `
[[accounts]]
name = "work"
host = "imap.example.com"
user = "ann@example.com"
password_command = "pass show mail/work"
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, '/etc/understudy.toml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills in defaults and resolves paths', () => {
    const config = parseConfig(minimal, '/home/ann/.config/understudy/config.toml', env);
    expect(config.dataDir).toBe('/home/ann/.local/share/understudy');
    expect(config.dbPath).toBe('/home/ann/.local/share/understudy/understudy.db');
    expect(config.sync).toEqual({
      batchSize: 500,
      maxPartBytes: 512 * 1024,
      timeoutMs: 90_000,
      retries: 3,
      retryWindowMs: 120_000,
      parallelMailboxes: 2,
    });
    const [a] = config.accounts;
    expect(a).toMatchObject({
      name: 'work',
      port: 993,
      tls: 'implicit',
      tlsRejectUnauthorized: true,
      addresses: ['ann@example.com'],
    });
    expect(a?.secret).toEqual({ kind: 'command', command: 'pass show mail/work' });
    expect(a?.folders).toEqual({ include: [], exclude: [] });
  });

  it('uses 143 for STARTTLS and resolves relative and ~ paths against the config folder', () => {
    const config = parseConfig(
      'data_dir = "~/mail-data"\n[[accounts]]\nname = "a"\nhost = "h"\nuser = "u"\ntls = "starttls"\npassword_file = "secrets/a.pass"\nca_file = "~/ca.pem"\n',
      '/etc/understudy/config.toml',
      env,
    );
    expect(config.dataDir).toBe('/home/ann/mail-data');
    expect(config.accounts[0]?.port).toBe(143);
    expect(config.accounts[0]?.secret).toEqual({
      kind: 'file',
      path: '/etc/understudy/secrets/a.pass',
    });
    expect(config.accounts[0]?.caFile).toBe('/home/ann/ca.pem');
  });

  it('keyring entries default to service "understudy" and user@host', () => {
    const config = parseConfig(
      minimal.replace('password_command = "pass show mail/work"', 'password_keyring = true'),
      '/c.toml',
      env,
    );
    expect(config.accounts[0]?.secret).toEqual({
      kind: 'keyring',
      service: 'understudy',
      user: 'ann@example.com@imap.example.com',
    });
  });

  it('allows plaintext only to loopback or with allow_insecure', () => {
    expect(() =>
      parseConfig(`${minimal.replace('imap.example.com', '127.0.0.1')}tls = "none"\n`, '/c.toml', env),
    ).not.toThrow();
    expect(problems(`${minimal}tls = "none"\n`)).toEqual([
      'accounts[0].tls: plaintext IMAP to imap.example.com would send your password unencrypted',
    ]);
    expect(() => parseConfig(`${minimal}tls = "none"\nallow_insecure = true\n`, '/c.toml', env)).not.toThrow();
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('127.10.0.1')).toBe(true);
    expect(isLoopbackHost('127.example.com')).toBe(false);
  });

  it('reports schema and cross-field problems together, sorted by key', () => {
    const found = problems(`
[sync]
retries = -1
[[accounts]]
name = "a"
host = ""
user = "u"
addresses = ["not-an-email"]
[[accounts]]
name = "a"
host = "h"
user = "u"
password_env = "1BAD"
`);
    expect(found).toEqual([
      'accounts[0]: no secret configured',
      'accounts[0].addresses[0]: must be an email address (got "not-an-email")',
      'accounts[0].host: host must not be empty (got "")',
      'accounts[1].name: duplicate account name "a" (also accounts[0].name)',
      'accounts[1].password_env: must be the name of an environment variable, e.g. "IMAP_PASSWORD" (got "1BAD")',
      'sync.retries: must be at least 0 (got -1)',
    ]);
  });

  it("gives every problem a fix line, in words rather than zod's", () => {
    let error: ConfigError | undefined;
    try {
      parseConfig(
        `${minimal}[sync]\nbatch_size = -5\ntimeout_s = "ninety"\n[train]\ndevice = "tpu"\nsandbox = "yes"\n` +
          '[drafts]\ntemperature = 3\n[daemon]\nsync_cron = "every 15 min"\n',
        '/c.toml',
        env,
      );
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const found = error?.problems ?? [];
    expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'daemon.sync_cron: must be a cron expression such as "*/15 * * * *" (got "every 15 min")',
      'drafts.temperature: must be at most 2 (got 3)',
      'sync.batch_size: must be at least 1 (got -5)',
      'sync.timeout_s: must be a number, without quotes (got "ninety")',
      'train.device: must be one of "auto", "cuda", "mps", "cpu" (got "tpu")',
      'train.sandbox: must be one of "auto", "off" (got "yes")',
    ]);
    for (const p of found) expect(p.fix, p.path).toBeTruthy();
    expect(found.find((p) => p.path === 'train.sandbox')?.fix).toBe('use one of "auto", "off"');
  });

  it('a fix never suggests a value the key refuses: a quoted number unquoted, every level of log_level', () => {
    let error: ConfigError | undefined;
    try {
      parseConfig(
        `log_level = "verbose"\n${minimal}[drafts]\ntemperature = "0.5"\nmax_age_days = "hot"\n`,
        '/c.toml',
        env,
      );
    } catch (err) {
      error = err as ConfigError;
    }
    const fixOf = (path: string) => error?.problems.find((p) => p.path === path)?.fix;
    expect(fixOf('drafts.temperature')).toBe('write temperature = 0.5');
    // Not "e.g. 90" for a key that takes 0 to 2, nor any other invented value.
    expect(fixOf('drafts.max_age_days')).not.toMatch(/\d/);
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      expect(fixOf('log_level')).toContain(`"${level}"`);
  });

  it('a ca_file with tls = "none" is a mistake listed with its fix, beside the others', () => {
    const text =
      'log_level = "chatty"\n[[accounts]]\nname = "a"\nhost = "127.0.0.1"\nuser = "u"\ntls = "none"\n' +
      'password_env = "P"\nca_file = "/srv/cert.pem"\n';
    let error: ConfigError | undefined;
    try {
      parseConfig(text, '/c.toml', env);
    } catch (err) {
      error = err as ConfigError;
    }
    const found = error?.problems ?? [];
    expect(found.map((p) => p.path)).toEqual(['accounts[0].ca_file', 'log_level']);
    expect(found[0]?.fix).toMatch(/tls = "implicit"/);
    // The same account with TLS is fine.
    expect(() =>
      parseConfig(text.replace('tls = "none"', 'tls = "implicit"').replace('"chatty"', '"info"'), '/c.toml', env),
    ).not.toThrow();
  });

  it('lists a base_model that cannot be trained together with the other problems', () => {
    const found = problems(`${minimal}[train]\nbase_model = "llama3:8b"\n[drafts]\nreply_when_cc = "yes"\n`);
    expect(found).toEqual([
      'drafts.reply_when_cc: must be true or false, without quotes (got "yes")',
      'train.base_model: "llama3:8b" looks like an Ollama model name (name:tag), not a base model',
    ]);
  });

  it('names missing keys and suggests the nearest known key for a typo', () => {
    const found = problems('[[accounts]]\nname = "a"\nhots = "h"\npassword_comand = "x"\n');
    expect(found).toContain('accounts[0].host: is required but missing');
    expect(found).toContain('accounts[0].user: is required but missing');
    expect(found.find((p) => p.startsWith('accounts[0]: unknown keys'))).toBe(
      'accounts[0]: unknown keys "hots" (did you mean "host"?), "password_comand" (did you mean "password_command"?)',
    );
    expect(problems('')).toEqual(['accounts: is required but missing']);
  });

  it('finds the config file from --config, then $UNDERSTUDY_CONFIG, then XDG', () => {
    expect(configFilePath('/x.toml', env)).toBe('/x.toml');
    expect(configFilePath(undefined, { ...env, UNDERSTUDY_CONFIG: '~/u.toml' })).toBe('/home/ann/u.toml');
    expect(configFilePath(undefined, { ...env, XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/understudy/config.toml');
    expect(configFilePath(undefined, { ...env, XDG_CONFIG_HOME: 'relative' })).toBe(
      '/home/ann/.config/understudy/config.toml',
    );
    expect(defaultDataDir({ ...env, XDG_DATA_HOME: '/data' })).toBe('/data/understudy');
  });
});

describe('config/understudy.example.toml', () => {
  it('is a valid config as shipped', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../config/understudy.example.toml', import.meta.url), 'utf8');
    const config = parseConfig(text, '/home/ann/.config/understudy/config.toml', env);
    expect(config.accounts.map((a) => a.name)).toEqual(['work']);
    expect(config.accounts[0]?.secret).toEqual({ kind: 'command', command: 'pass show mail/work' });
  });
});
