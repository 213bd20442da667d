// Watches an account's INBOX with IMAP IDLE (RFC 2177) and reports new mail. Reconnects after the
// server or the network goes away, waiting as session.ts's IDLE_BACKOFF says; each reconnect opens
// a new session (the secret read again, so a fixed secret is picked up) and a new connection.
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, SyncSettings } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import { logFields } from '../errors.js';
import { disconnect } from './connect.js';
import { underlyingError } from './errors.js';
import { FailureStreak } from './failure-streak.js';
import { IDLE_BACKOFF, openSession, reconnectDelay, sessionFailure } from './session.js';

/** A running watch; `stop` ends it (and its connection) and resolves once the loop has ended. */
export interface IdleWatcher {
  stop(): Promise<void>;
  /** True while an IDLE connection is up. */
  connected(): boolean;
}

export interface WatchOptions {
  account: AccountConfig;
  settings: SyncSettings;
  logger: Logger;
  /** Called when the INBOX's message count grows (an untagged EXISTS, RFC 3501 §7.3.1). */
  onNewMail: () => void;
  /** Called after a reconnect, to catch up on what arrived while disconnected. */
  onReconnect: () => void;
  /**
   * Asked about each failure (typed: SecretError, ImapError, or a local StoreError); true means
   * it is permanent (a refused login, an unreadable secret) and the watcher stops instead of
   * retrying: hammering a server with a wrong password gets the account locked.
   */
  onFatal?: (err: unknown) => boolean;
}

/**
 * Starts watching `account`'s INBOX and returns at once; the watch runs until stopped or until
 * `onFatal` says a failure is permanent. Never throws: failures are logged and retried.
 */
export function watchInbox(options: WatchOptions): IdleWatcher {
  const { account, logger } = options;
  let client: ImapFlow | null = null;
  let stopped = false;
  let attempt = 0;
  /** The same failure again (a wrong tls/port times out on every retry) is logged in full once. */
  const streak = new FailureStreak();
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const loop = async () => {
    while (!stopped) {
      try {
        const session = await openSession({ account, settings: options.settings, logger });
        client = await session.connect({
          maxIdleTime: Math.max(10_000, Math.min(options.settings.timeoutMs - 15_000, 25 * 60_000)),
        });
        await client.mailboxOpen('INBOX');
        if (attempt > 0) options.onReconnect();
        attempt = 0;
        streak.reset();
        logger.info({ account: account.name }, 'watching INBOX (IDLE)');
        const closed = new Promise<void>((resolve) => client?.once('close', () => resolve()));
        client.on('exists', (event: { count: number; prevCount: number }) => {
          if (event.count > event.prevCount) options.onNewMail();
        });
        // IDLE until the server or the network closes the connection; imapflow re-issues IDLE
        // periodically (maxIdleTime) so that NAT boxes do not drop a silent connection.
        while (!stopped && client.usable) {
          await Promise.race([client.idle(), closed]);
        }
      } catch (err) {
        if (stopped) break;
        const e = sessionFailure(err, account);
        if (options.onFatal?.(e)) {
          stopped = true;
          break;
        }
        const fields = { account: account.name, ...logFields(e), cause: underlyingError(e) };
        if (streak.isNew(e)) logger.warn(fields, 'IDLE connection lost');
        else logger.debug({ ...fields, repeats: streak.count }, 'IDLE connection lost again, same cause');
      } finally {
        if (client) await disconnect(client).catch(() => {});
        client = null;
      }
      if (stopped) break;
      const delay = reconnectDelay(attempt++, IDLE_BACKOFF);
      const level = streak.count > 1 ? 'debug' : 'info';
      logger[level]({ account: account.name, delayMs: delay }, 'reconnecting IDLE');
      await sleep(delay);
    }
  };
  const running = loop();
  return {
    connected: () => Boolean(client?.usable),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      if (client) await disconnect(client).catch(() => {});
      await running;
    },
  };
}
