// An account's IMAP session: resolves the secret once, opens fresh connections on demand (a
// closed ImapFlow cannot be reused), classifies what goes wrong, and says how long to wait before
// the next reconnect. The sync (sync-account.ts) and IDLE (watch.ts) both go through it.
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, SyncSettings } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import { type Credential, resolveSecret } from '../config/secrets.js';
import { isUnderstudyError } from '../errors.js';
import { type ConnectOptions, connect } from './connect.js';
import { classifyImapError, type ImapError } from './errors.js';

/** A reconnect schedule: the first wait's window and the longest window, in milliseconds. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** The sync retries within a run: soon, since the user (or the daemon's queue) is waiting. */
export const SYNC_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** IDLE reconnects: a server that is down for maintenance is asked at most every five minutes. */
export const IDLE_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 300_000 };

/**
 * The wait (ms) before reconnect number `attempt` (0 for the first): capped exponential backoff
 * with EQUAL jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015): the window is
 * min(cap, base·2^attempt) and the wait a uniform draw from its upper half,
 * window/2 + random(0, window/2). Chosen over "full jitter" (random(0, window)) because it never
 * waits almost nothing: a restarting server is not hit again within milliseconds, while clients
 * that lost the same server at once still spread out. `random` returns [0, 1) (tests seed it).
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(window / 2 + random() * (window / 2));
}

export interface SessionOptions {
  account: AccountConfig;
  settings: Pick<SyncSettings, 'timeoutMs'>;
  logger?: Logger | undefined;
  /** Already resolved (tests; a caller that caches it); otherwise read from the account's secret source. */
  credential?: Credential | undefined;
}

/** An account's connection factory, with the secret resolved once. */
export interface ImapSession {
  readonly account: AccountConfig;
  /** A new authenticated connection; throws an ImapError (classified) when it cannot be opened. */
  connect(extra?: Pick<ConnectOptions, 'onExpunge' | 'maxIdleTime'>): Promise<ImapFlow>;
  /** `err` as an ImapError naming this account's server (and `mailbox`), see classifyImapError. */
  classify(err: unknown, mailbox?: string): ImapError;
}

/**
 * Opens a session for `account`: resolves its secret (SecretError, kind 'config', when it cannot:
 * a missing keyring entry, a failing password_command) and returns the connection factory.
 * Connects nothing yet.
 */
export async function openSession(options: SessionOptions): Promise<ImapSession> {
  const { account, settings, logger } = options;
  const credential = options.credential ?? (await resolveSecret(account));
  const where = { host: account.host, port: account.port, user: account.user };
  return {
    account,
    connect: (extra = {}) => connect({ account, settings, credential, ...(logger ? { logger } : {}), ...extra }),
    classify: (err, mailbox) => classifyImapError(err, mailbox === undefined ? where : { ...where, mailbox }),
  };
}

/**
 * What a failure to open or keep a session means, for a caller that retries (IDLE): the error
 * itself when it is already typed (a SecretError from resolving the secret, an ImapError), the
 * local storage error classifyImapError throws for a disk or SQLite failure, otherwise the
 * classified ImapError. Never throws.
 */
export function sessionFailure(err: unknown, account: AccountConfig): unknown {
  if (isUnderstudyError(err)) return err; // already typed: a SecretError, an ImapError, a StoreError
  try {
    return classifyImapError(err, { host: account.host, port: account.port, user: account.user });
  } catch (local) {
    return local; // a local storage error: not the server's fault, so not an ImapError
  }
}
