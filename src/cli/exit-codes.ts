// Exit codes, from sysexits.h where one fits, so service managers and scripts can branch on them
// (systemd: RestartPreventExitStatus=64 77 78 stops a restart loop on a broken config).

export const EXIT = {
  OK: 0,
  /** Something failed (for sync: some mailboxes could not be synced; the rest were). */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 64,
  /** The server refused in a way retrying will not fix (TLS trust, missing STARTTLS, …). */
  UNAVAILABLE: 69,
  /** A bug or an unexpected state; the message says what happened. */
  SOFTWARE: 70,
  /** The local store could not be opened or written. */
  CANTCREAT: 73,
  /** Temporary failure (network, server down, throttled): try again later. */
  TEMPFAIL: 75,
  /** Login refused: wrong user, password or token. */
  NOPERM: 77,
  /** The config (or a secret it points to) is missing or invalid. */
  CONFIG: 78,
  /** Stopped by Ctrl-C (128 + SIGINT), after saving what can be resumed. */
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
