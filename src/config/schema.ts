// The config file's schema (zod): shapes, defaults, and the cross-field rules, all checked in one pass.
import * as z from 'zod'; // the namespace form lets esbuild drop the parts not used (~570 KB of the CLI, its locales)

/** How the connection to the IMAP server is secured. */
export const TLS_MODES = ['implicit', 'starttls', 'none'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The ways a secret can be supplied; exactly one per account. */
export const SECRET_KEYS = [
  'password_command',
  'password_env',
  'password_file',
  'password_keyring',
  'oauth2_token_command',
] as const;

const nonEmpty = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `${what} must not be empty` });
const globList = z.array(nonEmpty('a folder pattern')).default([]);

const foldersSchema = z.strictObject({
  /** Extra folders to sync, as globs over the full path (`Projects/*`). */
  include: globList,
  /** Folders never to sync, even when selected by default (`Archive/Private/*`). */
  exclude: globList,
  /** Names to use when the server does not advertise SPECIAL-USE (RFC 6154). */
  sent: nonEmpty('folders.sent').optional(),
  drafts: nonEmpty('folders.drafts').optional(),
  archive: nonEmpty('folders.archive').optional(),
});

const keyringSchema = z.union([
  z.literal(true),
  z.strictObject({
    service: nonEmpty('password_keyring.service').default('understudy'),
    user: nonEmpty('password_keyring.user').optional(),
  }),
]);

const accountSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  host: nonEmpty('host'),
  port: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be between 1 and 65535' })
    .max(65535, { error: 'must be between 1 and 65535' })
    .optional(),
  tls: z.enum(TLS_MODES, { error: `must be one of ${TLS_MODES.map((m) => `"${m}"`).join(', ')}` }).default('implicit'),
  allow_insecure: z.boolean().default(false),
  ca_file: nonEmpty('ca_file').optional(),
  tls_reject_unauthorized: z.boolean().default(true),
  user: nonEmpty('user'),
  addresses: z.array(z.email({ error: 'must be an email address' })).default([]),
  password_command: nonEmpty('password_command').optional(),
  password_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: 'must be the name of an environment variable, e.g. "IMAP_PASSWORD"',
    })
    .optional(),
  password_file: nonEmpty('password_file').optional(),
  password_keyring: keyringSchema.optional(),
  oauth2_token_command: nonEmpty('oauth2_token_command').optional(),
  folders: foldersSchema.default({ include: [], exclude: [] }),
});

const syncSchema = z.strictObject({
  /** Messages per FETCH batch; each batch is one SQLite transaction. */
  batch_size: z.number().int().min(1).max(5000).default(500),
  /** Largest text part kept per message, in KiB; longer parts are truncated and marked. */
  max_part_kb: z.number().int().min(1).max(65536).default(512),
  /** Socket inactivity timeout in seconds. */
  timeout_s: z.number().min(1).max(3600).default(90),
  /** How often a sync reconnects after a temporary failure before giving up. */
  retries: z.number().int().min(0).max(100).default(3),
  /**
   * Seconds a sync keeps reconnecting (with backoff) after its first temporary failure, beyond
   * `retries`: a server restart or a short network outage must not fail the run.
   */
  retry_window_s: z.number().min(0).max(3600).default(120),
  /** Mailboxes synced at the same time, each over its own connection. */
  parallel_mailboxes: z.number().int().min(1).max(8).default(2),
});

const datasetSchema = z.strictObject({
  /** Share of examples (newest threads) held out to evaluate a trained model. */
  eval_fraction: z.number().min(0).max(0.5).default(0.1),
  /** Replies longer than this (characters, after cleaning) are documents, not replies. */
  max_reply_chars: z.number().int().min(100).max(100_000).default(4000),
  /** How many copies of a template reply (same long text sent many times) to keep. */
  keep_templates: z.number().int().min(0).max(100).default(3),
  /** Correspondents (addresses or globs) and domains whose mail never becomes a training example. */
  exclude_senders: z.array(nonEmpty('an address pattern')).default([]),
  exclude_domains: z.array(nonEmpty('a domain')).default([]),
});

const trainSchema = z.strictObject({
  /** A preset (`understudy model presets`), a pulled repository id, or a folder in Hugging Face layout. */
  base_model: nonEmpty('train.base_model').default('qwen2.5-0.5b-instruct'),
  /** Python with torch and numpy (default: found automatically). */
  python: nonEmpty('train.python').optional(),
  device: z.enum(['auto', 'cuda', 'mps', 'cpu']).default('auto'),
  /** Longest example in tokens; longer ones lose their oldest thread context, then are skipped. */
  max_seq_len: z.number().int().min(64).max(32768).default(1024),
  lora_r: z.number().int().min(1).max(512).default(16),
  lora_alpha: z.number().positive().default(32),
  lora_dropout: z.number().min(0).max(0.9).default(0.05),
  learning_rate: z.number().positive().max(1).default(2e-4),
  epochs: z.number().positive().max(100).default(2),
  /** Stop after this many optimizer steps (overrides epochs). */
  max_steps: z.number().int().positive().optional(),
  batch_size: z.number().int().min(1).max(256).default(4),
  grad_accum: z.number().int().min(1).max(256).default(4),
  seed: z.number().int().default(1234),
  /** Held-out messages replied to by the new model and scored against what was sent. */
  eval_samples: z.number().int().min(0).max(1000).default(24),
  /** Refuse CUDA training while other processes hold more than this share of GPU memory. */
  gpu_busy_fraction: z.number().min(0).max(1).default(0.5),
  /** CPU priority of the trainer (nice), so drafting stays fast while it runs. */
  nice: z.number().int().min(0).max(19).default(10),
  /**
   * The Python worker runs without network access (src/worker/sandbox.ts): `auto` uses a systemd
   * unit, `unshare --net` or macOS sandbox-exec, whichever works; `off` runs it unconfined.
   */
  sandbox: z.enum(['auto', 'off']).default('auto'),
});

const draftsSchema = z.strictObject({
  /** Messages older than this many days get no draft. */
  max_age_days: z.number().min(0).max(365).default(3),
  /** Draft replies to messages where you are only in Cc. */
  reply_when_cc: z.boolean().default(false),
  /** Cc the other recipients of the message (reply-all). */
  reply_all: z.boolean().default(false),
  /** Senders (addresses or globs like "*@newsletter.example") and domains that never get a draft. */
  exclude_senders: z.array(nonEmpty('an address pattern')).default([]),
  exclude_domains: z.array(nonEmpty('a domain')).default([]),
  /** Text added under every draft (a "-- " line is put above it). */
  signature: z.string().default(''),
  /** Quote the original message under the draft, as mail clients do. */
  quote_original: z.boolean().default(true),
  /** Skip correspondents you answered less often than this share of the time (0 = off). */
  min_reply_rate: z.number().min(0).max(1).default(0),
  max_new_tokens: z.number().int().min(16).max(2048).default(320),
  temperature: z.number().min(0).max(2).default(0.7),
  top_p: z.number().gt(0).max(1).default(0.9),
  /** Drafts written per run at most (the daemon runs often). */
  limit: z.number().int().min(1).max(1000).default(20),
  /** CPU threads for generation. */
  threads: z.number().int().min(1).max(64).default(2),
});

const cronExpression = () =>
  z.string().regex(/^(\S+\s+){4,5}\S+$/, { error: 'must be a cron expression such as "*/15 * * * *"' });

const daemonSchema = z.strictObject({
  /** When the daemon syncs every folder (new mail in INBOX arrives by IDLE in between). */
  sync_cron: cronExpression().default('*/15 * * * *'),
  /** When it considers training (only with enough new examples and a free GPU). */
  train_cron: cronExpression().default('30 3 * * *'),
  /** New examples since the last training needed before a new one runs. */
  min_new_examples: z.number().int().min(1).max(100_000).default(20),
  /** Watch INBOX with IMAP IDLE, so drafts follow new mail within seconds. */
  idle: z.boolean().default(true),
  /** Seconds to finish the current step after SIGTERM before giving up on it. */
  shutdown_timeout_s: z.number().min(1).max(300).default(10),
});

export const configSchema = z.strictObject({
  data_dir: nonEmpty('data_dir').optional(),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  sync: syncSchema.default(syncSchema.parse({})),
  dataset: datasetSchema.default(datasetSchema.parse({})),
  train: trainSchema.default(trainSchema.parse({})),
  drafts: draftsSchema.default(draftsSchema.parse({})),
  daemon: daemonSchema.default(daemonSchema.parse({})),
  accounts: z.array(accountSchema).min(1, { error: 'at least one [[accounts]] table is needed' }),
});

/** A rule that spans several keys, reported with the same shape as a schema problem. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
  fix: string;
}

/**
 * Cross-field rules. They run on the raw parsed TOML, independently of the schema, so that a
 * file with a wrong type in one place still gets its other problems reported in the same pass
 * (zod skips refinements once a field has failed).
 */
export function checkRules(input: unknown): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const accounts = isRecord(input) && Array.isArray(input.accounts) ? input.accounts : [];
  const seen = new Map<string, number>();
  accounts.forEach((account: unknown, i) => {
    if (!isRecord(account)) return;
    const where = ['accounts', i];
    const name = typeof account.name === 'string' ? account.name : `account ${i + 1}`;
    const sources = SECRET_KEYS.filter((key) => account[key] !== undefined);
    if (sources.length !== 1) {
      problems.push({
        path: where,
        message:
          sources.length === 0
            ? 'no secret configured'
            : `more than one secret configured (${sources.join(', ')}); exactly one is used`,
        fix: `set exactly one of ${SECRET_KEYS.join(', ')}; password_command (e.g. "pass show mail/${name}") or password_keyring = true keep the secret out of the file`,
      });
    }
    const host = typeof account.host === 'string' ? account.host : '';
    if (account.tls === 'none' && account.allow_insecure !== true && host && !isLoopbackHost(host)) {
      problems.push({
        path: [...where, 'tls'],
        message: `plaintext IMAP to ${host} would send your password unencrypted`,
        fix: 'use tls = "implicit" (port 993) or tls = "starttls" (port 143); set allow_insecure = true only on a network you trust',
      });
    }
    // A certificate to trust says the server speaks TLS; with tls = "none" it is never used, and the
    // connection (to a TLS port, as the certificate suggests) fails with a puzzling greeting timeout.
    if (account.tls === 'none' && typeof account.ca_file === 'string') {
      problems.push({
        path: [...where, 'ca_file'],
        message: 'ca_file is set but tls = "none" never checks a certificate',
        fix: 'set tls = "implicit" (or "starttls" on port 143) to use it, or remove ca_file',
      });
    }
    if (typeof account.name === 'string') {
      const previous = seen.get(account.name);
      if (previous !== undefined) {
        problems.push({
          path: [...where, 'name'],
          message: `duplicate account name "${account.name}" (also accounts[${previous}].name)`,
          fix: 'give every account a unique name',
        });
      } else seen.set(account.name, i);
    }
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type RawConfig = z.infer<typeof configSchema>;
export type RawAccount = RawConfig['accounts'][number];

/** True for names and addresses that never leave this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
