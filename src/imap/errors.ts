// IMAP failures, classified at the boundary the mbsync way: temporary (retry with backoff),
// auth (stop and tell the user), final (this server or mailbox cannot be synced as configured).
// Local storage failures (SQLite, the disk) are not IMAP failures and are never classified as one.
import { type ErrorKind, UnderstudyError } from '../errors.js';
import { storeErrorFrom } from '../store/errors.js';

/** The kinds an IMAP failure can have (src/errors.ts ErrorKind says what each means). */
export type FailureKind = Extract<ErrorKind, 'temporary' | 'auth' | 'final'>;

export type ImapErrorCode =
  | 'AUTH_FAILED'
  | 'TLS_UNTRUSTED'
  | 'TLS_FAILED'
  | 'STARTTLS_UNAVAILABLE'
  | 'CONNECT_FAILED'
  | 'HOST_NOT_FOUND'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'THROTTLED'
  | 'MAILBOX_UNAVAILABLE'
  | 'SERVER_REFUSED'
  | 'PROTOCOL_ERROR';

/** An IMAP failure with its kind (temporary: retry; auth: stop; final: skip this server or mailbox) and fix. */
export class ImapError extends UnderstudyError {
  declare readonly code: ImapErrorCode;
  declare readonly kind: FailureKind;
  declare readonly fix: string;

  constructor(code: ImapErrorCode, kind: FailureKind, message: string, fix: string, cause?: unknown) {
    super(code, kind, message, { fix, cause });
    this.name = 'ImapError';
  }
}

interface ImapFlowLikeError {
  code?: string;
  message?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
  mailboxMissing?: boolean;
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const LOST_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'StateLogout',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ETIMEOUT',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'LockTimeout',
]);

/**
 * Turns whatever imapflow or the socket threw into an ImapError with a kind and a fix.
 * @throws StoreError when `err` is a local storage failure (SQLite's `database is locked`,
 *   `database or disk is full`, SQLITE_READONLY, ENOSPC, EROFS…): retrying the server cannot fix
 *   those, so every caller's catch lets them through to the user with their real cause.
 */
export function classifyImapError(
  err: unknown,
  where: { host: string; port: number; user?: string; mailbox?: string },
): ImapError {
  if (err instanceof ImapError) return err;
  const local = storeErrorFrom(err);
  if (local) throw local;
  const e = (err ?? {}) as ImapFlowLikeError;
  const code = e.code ?? '';
  const text = e.responseText || e.message || String(err);
  const server = `${where.host}:${where.port}`;
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new ImapError(
      'AUTH_FAILED',
      'auth',
      `${server} rejected the login for ${where.user ?? 'this account'}${text ? ` (${text})` : ''}`,
      'check user and the secret; Gmail, Outlook and iCloud need an app password or OAuth2 (oauth2_token_command), not your normal password',
      err,
    );
  }
  if (TLS_TRUST_CODES.has(code)) {
    return new ImapError(
      'TLS_UNTRUSTED',
      'final',
      `the TLS certificate of ${server} is not trusted (${code})`,
      'if this is your own server with a self-signed certificate, set ca_file = "/path/to/cert.pem" for this account; tls_reject_unauthorized = false disables the check entirely (not recommended)',
      err,
    );
  }
  if (code === 'STARTTLS_INJECTION' || (/STARTTLS/i.test(text) && /support|required|not/i.test(text))) {
    return new ImapError(
      'STARTTLS_UNAVAILABLE',
      'final',
      `${server} did not offer STARTTLS`,
      'use tls = "implicit" (usually port 993), or check the port',
      err,
    );
  }
  if (e.tlsFailed || /^ERR_SSL|^ERR_TLS|EPROTO/.test(code)) {
    return new ImapError(
      'TLS_FAILED',
      'final',
      `TLS handshake with ${server} failed: ${text}`,
      'check tls and port: implicit TLS is usually 993, STARTTLS 143',
      err,
    );
  }
  if (code === 'ENOTFOUND') {
    return new ImapError(
      'HOST_NOT_FOUND',
      'temporary',
      `cannot resolve ${where.host}`,
      'check host; if it is right, the network or DNS is down and a later run will retry',
      err,
    );
  }
  if (code === 'ETHROTTLE') {
    return new ImapError(
      'THROTTLED',
      'temporary',
      `${server} is throttling requests`,
      'nothing to do: the next sync continues where this one stopped',
      err,
    );
  }
  if (NETWORK_CODES.has(code)) {
    return new ImapError(
      'CONNECT_FAILED',
      'temporary',
      `cannot reach ${server} (${code})`,
      'check host and port; if they are right the server or network is down and a later run will retry',
      err,
    );
  }
  if (LOST_CODES.has(code)) {
    return new ImapError(
      'CONNECTION_LOST',
      'temporary',
      `the connection to ${server} was closed${where.mailbox ? ` while syncing ${where.mailbox}` : ''}`,
      'nothing to do: the next sync continues where this one stopped',
      err,
    );
  }
  if (code === 'GREETING_TIMEOUT') {
    // A plain (or STARTTLS) connection to an implicit-TLS port waits in silence: the server expects a
    // TLS handshake, the client an IMAP greeting. It looks like a timeout; the fix is tls and port.
    return new ImapError(
      'TIMEOUT',
      'temporary',
      `${server} accepted the connection but sent no IMAP greeting (${code})`,
      `check tls and port: a TLS port (usually 993) spoken to without TLS stays silent, so with port ${where.port} set tls = "implicit" if that is one (STARTTLS is usually 143); if they are right, the server is slow or busy (raise sync.timeout_s)`,
      err,
    );
  }
  if (TIMEOUT_CODES.has(code)) {
    return new ImapError(
      'TIMEOUT',
      'temporary',
      `${server} stopped responding (${code})`,
      'nothing to do if it is temporary; raise sync.timeout_s for a slow server',
      err,
    );
  }
  if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT') {
    return new ImapError(
      'MAILBOX_UNAVAILABLE',
      'final',
      `mailbox ${where.mailbox ?? ''} does not exist on ${server}`,
      'it was probably deleted or renamed; it is dropped from the next sync',
      err,
    );
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const temporary = ['UNAVAILABLE', 'INUSE', 'LIMIT', 'SERVERBUG'].includes(e.serverResponseCode ?? '');
    return new ImapError(
      'SERVER_REFUSED',
      temporary ? 'temporary' : 'final',
      `${server} refused${where.mailbox ? ` (mailbox ${where.mailbox})` : ''}: ${text}`,
      temporary
        ? 'nothing to do: a later run will retry'
        : 'see the server message; the other mailboxes are still synced',
      err,
    );
  }
  if (/Parser|Invalid|TooLarge|TooMany|Unexpected|MissingTag/.test(code)) {
    return new ImapError(
      'PROTOCOL_ERROR',
      'temporary',
      `unexpected response from ${server}: ${text}`,
      'if it repeats, run with --log-level debug and report it',
      err,
    );
  }
  return new ImapError(
    'CONNECTION_LOST',
    'temporary',
    `IMAP failure talking to ${server}: ${text}`,
    'if it repeats, run with --log-level debug',
    err,
  );
}

/**
 * The underlying error of `err` (its `cause` chain's innermost code and message), for logs: a
 * "temporary IMAP failure" line must say what actually happened (ECONNRESET, a BYE, a timeout).
 */
export function underlyingError(err: unknown): { code?: string; message: string } {
  let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined;
  for (let depth = 0; depth < 5 && e?.cause; depth++) e = e.cause as typeof e;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(e);
  return code ? { code, message } : { message };
}
