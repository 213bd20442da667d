// Reads the TOML config, validates it, and resolves it into the typed settings the rest uses.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { baseModelProblem } from './base-model-name.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { configFilePath, defaultDataDir, type Env, resolveConfigPath } from './paths.js';
import { checkRules, configSchema, type RawAccount, type RawConfig, SECRET_KEYS, type TlsMode } from './schema.js';

/** Where an account's secret comes from. The secret itself is only ever read on demand. */
export type SecretSource =
  | { kind: 'command'; command: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'keyring'; service: string; user: string }
  | { kind: 'oauth2_command'; command: string };

export interface FolderSelection {
  include: string[];
  exclude: string[];
  /** Fallback paths for servers without SPECIAL-USE. */
  sent?: string;
  drafts?: string;
  archive?: string;
}

export interface AccountConfig {
  name: string;
  host: string;
  port: number;
  tls: TlsMode;
  allowInsecure: boolean;
  caFile?: string;
  tlsRejectUnauthorized: boolean;
  user: string;
  /** The user's own addresses (identities and aliases); the login user is added when it is one. */
  addresses: string[];
  secret: SecretSource;
  folders: FolderSelection;
}

export interface SyncSettings {
  batchSize: number;
  maxPartBytes: number;
  timeoutMs: number;
  retries: number;
  /** Keep reconnecting this long (ms) after the first temporary failure, even past `retries`. */
  retryWindowMs: number;
  parallelMailboxes: number;
}

export interface DatasetSettings {
  evalFraction: number;
  maxReplyChars: number;
  keepTemplates: number;
  /** Lower-case addresses/globs and domains kept out of training (with `understudy privacy exclude`'s). */
  excludeSenders: string[];
  excludeDomains: string[];
}

export interface TrainSettings {
  baseModel: string;
  python?: string;
  device: 'auto' | 'cuda' | 'mps' | 'cpu';
  maxSeqLen: number;
  lora: { r: number; alpha: number; dropout: number };
  learningRate: number;
  epochs: number;
  maxSteps?: number;
  batchSize: number;
  gradAccum: number;
  seed: number;
  evalSamples: number;
  gpuBusyFraction: number;
  nice: number;
  /** train.sandbox: `auto` runs the Python worker without network access (src/worker/sandbox.ts). */
  sandbox: 'auto' | 'off';
}

export interface DraftSettings {
  maxAgeDays: number;
  replyWhenCc: boolean;
  replyAll: boolean;
  excludeSenders: string[];
  excludeDomains: string[];
  signature: string;
  quoteOriginal: boolean;
  minReplyRate: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  limit: number;
  threads: number;
}

export interface DaemonSettings {
  syncCron: string;
  trainCron: string;
  minNewExamples: number;
  idle: boolean;
  shutdownTimeoutMs: number;
}

export interface Config {
  /** The file this was read from. */
  file: string;
  dataDir: string;
  dbPath: string;
  logLevel: RawConfig['log_level'];
  sync: SyncSettings;
  dataset: DatasetSettings;
  train: TrainSettings;
  drafts: DraftSettings;
  daemon: DaemonSettings;
  accounts: AccountConfig[];
}

export interface LoadOptions {
  /** `--config` from the command line. */
  configPath?: string;
  env?: Env;
}

/** Loads and validates the config; throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = configFilePath(options.configPath, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConfigError(
      missing ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE',
      file,
      [
        {
          path: '',
          message: missing ? 'the file does not exist' : `cannot read the file (${(err as Error).message})`,
          fix: missing
            ? 'run `understudy init` to write it (asks for your server and login), copy config/understudy.example.toml there, or point --config / UNDERSTUDY_CONFIG at your file'
            : 'check the path and its permissions (it should be readable by you only: chmod 600)',
        },
      ],
      err,
    );
  }
  return parseConfig(text, file, env);
}

/** Validates config text; exported separately so tests can check rules without files. */
export function parseConfig(text: string, file: string, env: Env = process.env): Config {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? `line ${err.line}, column ${err.column}: ` : '';
    const message = (err as Error).message.split('\n')[0] ?? 'invalid TOML';
    throw new ConfigError(
      'CONFIG_SYNTAX',
      file,
      [
        {
          path: '',
          message: `${where}not valid TOML (${message})`,
          fix: 'fix the syntax at that position; see https://toml.io for the format',
        },
      ],
      err,
    );
  }
  const problems: ConfigProblem[] = [];
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(describeIssue));
  for (const rule of checkRules(raw)) {
    problems.push({ path: formatPath(rule.path), message: rule.message, fix: rule.fix });
  }
  // A GGUF file or an Ollama name is what many users have; say what works instead (issue 15:
  // it was advised to `model pull` itself), listed with the other problems. A folder that does not
  // exist yet is train's to report.
  const rawBase = (raw as { train?: { base_model?: unknown } } | null)?.train?.base_model;
  if (typeof rawBase === 'string') {
    const baseModel = baseModelProblem(resolveBaseModelName(rawBase, dirname(file), env), { missingOk: true });
    if (baseModel) problems.push({ path: 'train.base_model', ...baseModel });
  }
  if (!result.success || problems.length > 0) {
    problems.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    throw new ConfigError('CONFIG_INVALID', file, problems);
  }
  return resolveConfig(result.data, file, env);
}

/** train.base_model as a folder path (resolved against the config folder) or as a preset / repository id. */
function resolveBaseModelName(name: string, configDir: string, env: Env): string {
  return name.includes('/') && (name.startsWith('.') || name.startsWith('~') || name.startsWith('/'))
    ? resolveConfigPath(name, configDir, env)
    : name;
}

function resolveConfig(raw: RawConfig, file: string, env: Env): Config {
  const configDir = dirname(file);
  const dataDir = raw.data_dir ? resolveConfigPath(raw.data_dir, configDir, env) : defaultDataDir(env);
  return {
    file,
    dataDir,
    dbPath: join(dataDir, 'understudy.db'),
    logLevel: raw.log_level,
    sync: {
      batchSize: raw.sync.batch_size,
      maxPartBytes: raw.sync.max_part_kb * 1024,
      timeoutMs: raw.sync.timeout_s * 1000,
      retries: raw.sync.retries,
      retryWindowMs: raw.sync.retry_window_s * 1000,
      parallelMailboxes: raw.sync.parallel_mailboxes,
    },
    dataset: {
      evalFraction: raw.dataset.eval_fraction,
      maxReplyChars: raw.dataset.max_reply_chars,
      keepTemplates: raw.dataset.keep_templates,
      excludeSenders: raw.dataset.exclude_senders.map((s) => s.toLowerCase()),
      excludeDomains: raw.dataset.exclude_domains.map((d) => d.toLowerCase().replace(/^@/, '')),
    },
    train: {
      baseModel: resolveBaseModelName(raw.train.base_model, configDir, env),
      ...(raw.train.python ? { python: raw.train.python } : {}),
      device: raw.train.device,
      maxSeqLen: raw.train.max_seq_len,
      lora: { r: raw.train.lora_r, alpha: raw.train.lora_alpha, dropout: raw.train.lora_dropout },
      learningRate: raw.train.learning_rate,
      epochs: raw.train.epochs,
      ...(raw.train.max_steps ? { maxSteps: raw.train.max_steps } : {}),
      batchSize: raw.train.batch_size,
      gradAccum: raw.train.grad_accum,
      seed: raw.train.seed,
      evalSamples: raw.train.eval_samples,
      gpuBusyFraction: raw.train.gpu_busy_fraction,
      nice: raw.train.nice,
      sandbox: raw.train.sandbox,
    },
    drafts: {
      maxAgeDays: raw.drafts.max_age_days,
      replyWhenCc: raw.drafts.reply_when_cc,
      replyAll: raw.drafts.reply_all,
      excludeSenders: raw.drafts.exclude_senders.map((s) => s.toLowerCase()),
      excludeDomains: raw.drafts.exclude_domains.map((d) => d.toLowerCase().replace(/^@/, '')),
      signature: raw.drafts.signature,
      quoteOriginal: raw.drafts.quote_original,
      minReplyRate: raw.drafts.min_reply_rate,
      maxNewTokens: raw.drafts.max_new_tokens,
      temperature: raw.drafts.temperature,
      topP: raw.drafts.top_p,
      limit: raw.drafts.limit,
      threads: raw.drafts.threads,
    },
    daemon: {
      syncCron: raw.daemon.sync_cron,
      trainCron: raw.daemon.train_cron,
      minNewExamples: raw.daemon.min_new_examples,
      idle: raw.daemon.idle,
      shutdownTimeoutMs: raw.daemon.shutdown_timeout_s * 1000,
    },
    accounts: raw.accounts.map((a) => resolveAccount(a, configDir, env)),
  };
}

function resolveAccount(a: RawAccount, configDir: string, env: Env): AccountConfig {
  const addresses = [...a.addresses.map((x) => x.toLowerCase())];
  if (a.user.includes('@') && !addresses.includes(a.user.toLowerCase())) addresses.push(a.user.toLowerCase());
  return {
    name: a.name,
    host: a.host,
    port: a.port ?? (a.tls === 'implicit' ? 993 : 143),
    tls: a.tls,
    allowInsecure: a.allow_insecure,
    ...(a.ca_file ? { caFile: resolveConfigPath(a.ca_file, configDir, env) } : {}),
    tlsRejectUnauthorized: a.tls_reject_unauthorized,
    user: a.user,
    addresses,
    secret: resolveSecretSource(a, configDir, env),
    folders: { ...a.folders },
  };
}

function resolveSecretSource(a: RawAccount, configDir: string, env: Env): SecretSource {
  if (a.password_command) return { kind: 'command', command: a.password_command };
  if (a.password_env) return { kind: 'env', name: a.password_env };
  if (a.password_file) return { kind: 'file', path: resolveConfigPath(a.password_file, configDir, env) };
  if (a.oauth2_token_command) return { kind: 'oauth2_command', command: a.oauth2_token_command };
  const keyring: { service?: string; user?: string } =
    a.password_keyring === true || a.password_keyring === undefined ? {} : a.password_keyring;
  return {
    kind: 'keyring',
    service: keyring.service ?? 'understudy',
    user: keyring.user ?? `${a.user}@${a.host}`,
  };
}

// ── turning zod issues into problems a person can act on ────────────────────────────────────

const CRON_FIX =
  'five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" (every 15 minutes) or "30 3 * * *" (03:30 daily)';

const FIXES: Record<string, string> = {
  port: 'use 993 for tls = "implicit" or 143 for tls = "starttls" (or leave it out for the default)',
  tls: 'use "implicit" (port 993, most providers), "starttls" (port 143) or "none" (loopback only)',
  host: 'set it to your provider\'s IMAP server, e.g. host = "imap.fastmail.com"',
  user: 'set it to your IMAP login, usually your email address',
  name: 'a short label such as "work" or "personal"',
  addresses: 'list your own addresses, e.g. addresses = ["ann@example.com", "a.smith@example.com"]',
  accounts: 'add an [[accounts]] table; see config/understudy.example.toml',
  sync_cron: CRON_FIX,
  train_cron: CRON_FIX,
  password_env: 'the name of the variable that holds the password, e.g. password_env = "IMAP_PASSWORD"',
};

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem {
  const path = formatPath(issue.path);
  const last = [...issue.path].reverse().find((p) => typeof p === 'string') as string | undefined;
  const fix = last ? FIXES[last] : undefined;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    const parts = issue.keys.map((key) => {
      const guess = closest(key, known);
      return guess ? `"${key}" (did you mean "${guess}"?)` : `"${key}"`;
    });
    return {
      path,
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${parts.join(', ')}`,
      fix: `remove or rename it; known keys here: ${known.join(', ')}`,
    };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return {
      path,
      message: 'is required but missing',
      ...(fix ? { fix } : { fix: `add ${last ?? 'it'} = …` }),
    };
  }
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  const plain = plainIssue(issue);
  const fixLine = fix ?? plain?.fix;
  // The schema's own wording stays; zod's defaults ("Too small: …", "Invalid option: …") are reworded.
  const zodWording = /^(Too small|Too big|Invalid option|Invalid input)\b/.test(issue.message);
  const message = plain && zodWording ? plain.message : issue.message;
  return { path, message: `${message}${got}`, ...(fixLine ? { fix: fixLine } : {}) };
}

/** zod's own wording ("Too small: expected number to be >=1") said as a rule, with the fix it implies. */
function plainIssue(issue: z.core.$ZodIssue): { message: string; fix: string } | undefined {
  switch (issue.code) {
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return { message: `must be one of ${values}`, fix: `use one of ${values}` };
    }
    case 'too_small':
    case 'too_big': {
      if (issue.origin !== 'number' && issue.origin !== 'int') return undefined;
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      const rule = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
      return {
        message: `must be ${rule} ${bound}`,
        fix: `set it to ${rule} ${bound}, or leave the key out for the default`,
      };
    }
    case 'invalid_type': {
      // No invented example value: "e.g. 90" was shown for drafts.temperature (0 to 2). A quoted
      // number is answered with itself unquoted; anything else with the rule alone.
      const quoted = typeof issue.input === 'string' && issue.input.trim() !== '' ? Number(issue.input) : Number.NaN;
      if ((issue.expected === 'number' || issue.expected === 'int') && Number.isFinite(quoted)) {
        const key = [...issue.path].reverse().find((p) => typeof p === 'string');
        return {
          message: `must be ${issue.expected === 'int' ? 'a whole number' : 'a number'}, without quotes`,
          fix: `write ${String(key ?? 'it')} = ${quoted}`,
        };
      }
      const what: Record<string, string> = {
        number: 'a number, without quotes',
        int: 'a whole number, without quotes',
        string: 'a quoted string',
        boolean: 'true or false, without quotes',
        array: 'a list, e.g. ["a", "b"]',
      };
      const wanted = what[issue.expected];
      return wanted ? { message: `must be ${wanted}`, fix: `write it as ${wanted}` } : undefined;
    }
    default:
      return undefined;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

const ACCOUNT_KEYS = [
  'name',
  'host',
  'port',
  'tls',
  'allow_insecure',
  'ca_file',
  'tls_reject_unauthorized',
  'user',
  'addresses',
  ...SECRET_KEYS,
  'folders',
];
const KEYS_BY_TABLE: Record<string, string[]> = {
  '': ['data_dir', 'log_level', 'sync', 'dataset', 'train', 'drafts', 'daemon', 'accounts'],
  daemon: ['sync_cron', 'train_cron', 'min_new_examples', 'idle', 'shutdown_timeout_s'],
  drafts: [
    'max_age_days',
    'reply_when_cc',
    'reply_all',
    'exclude_senders',
    'exclude_domains',
    'signature',
    'quote_original',
    'min_reply_rate',
    'max_new_tokens',
    'temperature',
    'top_p',
    'limit',
    'threads',
  ],
  train: [
    'base_model',
    'python',
    'device',
    'max_seq_len',
    'lora_r',
    'lora_alpha',
    'lora_dropout',
    'learning_rate',
    'epochs',
    'max_steps',
    'batch_size',
    'grad_accum',
    'seed',
    'eval_samples',
    'gpu_busy_fraction',
    'nice',
    'sandbox',
  ],
  dataset: ['eval_fraction', 'max_reply_chars', 'keep_templates', 'exclude_senders', 'exclude_domains'],
  sync: ['batch_size', 'max_part_kb', 'timeout_s', 'retries', 'retry_window_s', 'parallel_mailboxes'],
  account: ACCOUNT_KEYS,
  folders: ['include', 'exclude', 'sent', 'drafts', 'archive'],
  password_keyring: ['service', 'user'],
};

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const names = path.filter((p) => typeof p === 'string') as string[];
  const last = names.at(-1) ?? '';
  if (last === 'accounts') return KEYS_BY_TABLE.account ?? [];
  return KEYS_BY_TABLE[last] ?? [];
}

/** The known key nearest to a misspelt one (edit distance ≤ 2), if any. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
