// Watches an account's INBOX with IMAP IDLE (RFC 2177) and reports new mail. Reconnects with
// capped exponential backoff and jitter when the server or the network goes away; each
// reconnect builds a new ImapFlow (a closed one cannot be reused).
import type { ImapFlow } from 'imapflow';
import type { AccountConfig, SyncSettings } from '../src/config/load.js';
import type { Logger } from '../src/config/logger.js';
import { resolveSecret } from '../src/config/secrets.js';
import { connect, disconnect } from '../src/imap/connect.js';
import { classifyImapError, underlyingError } from '../src/imap/errors.js';

export interface IdleWatcher {
  stop(): Promise<void>;
  connected(): boolean;
}

export function watchInbox(options: {
  account: AccountConfig;
  settings: SyncSettings;
  logger: Logger;
  onNewMail: () => void;
  /** Called after a reconnect, to catch up on what arrived while disconnected. */
  onReconnect: () => void;
  /**
   * Asked about each failure; true means it is permanent (a refused login, an unreadable
   * secret) and the watcher stops instead of retrying: hammering a server with a wrong password
   * gets the account locked.
   */
  onFatal?: (err: unknown) => boolean;
}): IdleWatcher {
  const { account, logger } = options;
  let client: ImapFlow | null = null;
  let stopped = false;
  let attempt = 0;
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
        const credential = await resolveSecret(account);
        client = await connect({
          account,
          settings: options.settings,
          credential,
          logger,
          maxIdleTime: Math.max(10_000, Math.min(options.settings.timeoutMs - 15_000, 25 * 60_000)),
        });
        await client.mailboxOpen('INBOX');
        if (attempt > 0) options.onReconnect();
        attempt = 0;
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
        let e: unknown = err;
        try {
          if ((err as Error)?.name !== 'SecretError')
            e = classifyImapError(err, { host: account.host, port: account.port, user: account.user });
        } catch (local) {
          e = local; // a local storage error (classifyImapError throws those)
        }
        if (options.onFatal?.(e)) {
          stopped = true;
          break;
        }
        const c = e as { code?: string; message?: string };
        logger.warn(
          { account: account.name, code: c.code, err: c.message, cause: underlyingError(e) },
          'IDLE connection lost',
        );
      } finally {
        if (client) await disconnect(client).catch(() => {});
        client = null;
      }
      if (stopped) break;
      // Full jitter over a doubling window, capped at five minutes.
      const window = Math.min(300_000, 1000 * 2 ** attempt++);
      const delay = Math.round(window / 2 + Math.random() * (window / 2));
      logger.info({ account: account.name, delayMs: delay }, 'reconnecting IDLE');
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
