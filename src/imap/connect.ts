// Opens an authenticated IMAP connection (imapflow) for an account. A closed ImapFlow cannot be
// reused, so every (re)connect builds a new one.
import { readFile } from 'node:fs/promises';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { AccountConfig, SyncSettings } from '../config/load.js';
import type { Logger } from '../config/logger.js';
import type { Credential } from '../config/secrets.js';
import { classifyImapError, ImapError } from './errors.js';

export interface ConnectOptions {
  account: AccountConfig;
  settings: Pick<SyncSettings, 'timeoutMs'>;
  credential: Credential;
  logger?: Logger;
  /** Receives expunges and QRESYNC VANISHED UIDs (RFC 7162 §3.2.10) seen on this connection. */
  onExpunge?: ImapFlowOptions['expungeHandler'];
  /** For IDLE: restart IDLE this often (ms), so the connection is never silent for long. */
  maxIdleTime?: number;
}

export async function connect(options: ConnectOptions): Promise<ImapFlow> {
  const { account, credential } = options;
  const where = { host: account.host, port: account.port, user: account.user };
  let ca: Buffer | undefined;
  if (account.caFile) {
    try {
      ca = await readFile(account.caFile);
    } catch (err) {
      throw new ImapError(
        'TLS_FAILED',
        'final',
        `cannot read ca_file ${account.caFile}`,
        'point ca_file at the PEM certificate of your server',
        err,
      );
    }
  }
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.tls === 'implicit',
    // STARTTLS mode must never fall back to cleartext (RFC 8314 §3 calls silent fallback unsafe).
    doSTARTTLS: account.tls === 'starttls' ? true : account.tls === 'none' ? false : undefined,
    tls: {
      rejectUnauthorized: account.tlsRejectUnauthorized,
      ...(ca ? { ca } : {}),
      minVersion: 'TLSv1.2',
    },
    auth:
      credential.type === 'accessToken'
        ? { user: account.user, accessToken: credential.value }
        : { user: account.user, pass: credential.value },
    // imapflow's own logger would print protocol traffic at debug level; ours stays in control.
    logger: false,
    disableAutoIdle: true,
    qresync: true,
    // We decode transfer encodings ourselves: with FETCH BINARY (RFC 3516) one part in an
    // unknown encoding makes the server fail the whole batch.
    disableBinary: true,
    connectionTimeout: Math.min(options.settings.timeoutMs, 30_000),
    // Below socketTimeout: a silent server (tls/port mismatch) must end as GREETING_TIMEOUT, whose
    // fix names tls and port, not as the idle socket's ETIMEOUT ("nothing to do") that won the tie.
    greetingTimeout: Math.min(options.settings.timeoutMs - 250, 30_000),
    socketTimeout: options.settings.timeoutMs,
    clientInfo: { name: 'understudy' },
    ...(options.onExpunge ? { expungeHandler: options.onExpunge } : {}),
    ...(options.maxIdleTime ? { maxIdleTime: options.maxIdleTime } : {}),
  });
  // Errors after connect surface as rejected commands; this listener only keeps an 'error'
  // event from becoming an uncaught exception.
  client.on('error', (err: Error) =>
    options.logger?.debug({ err: err.message, account: account.name }, 'imap connection error'),
  );
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw classifyImapError(err, where);
  }
  return client;
}

/** Logs out politely, or drops the socket when the server is not answering. */
export async function disconnect(client: ImapFlow): Promise<void> {
  if (!client.usable) {
    client.close();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.logout(), new Promise((r) => (timer = setTimeout(r, 2000)))]);
  } catch {
    /* the connection is going away either way */
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
