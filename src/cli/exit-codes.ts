// Exit codes, from sysexits.h where one fits, so service managers and scripts can branch on them
// (systemd: RestartPreventExitStatus=64 73 77 78 stops a restart loop on a broken config, a refused
// login or an unwritable data folder; systemd/understudy.service.in must list the same codes).

export const EXIT = {
  OK: 0,
  /** Something failed (for sync: some mailboxes could not be synced; the rest were). */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 64,
  /** The input (a message given on the command line) is malformed. */
  DATAERR: 65,
  /** The input does not exist yet: nothing has been synced, so there is no mail to build a dataset from. */
  NOINPUT: 66,
  /** The server refused in a way retrying will not fix (TLS trust, missing STARTTLS, …). */
  UNAVAILABLE: 69,
  /** A bug or an unexpected state; the message says what happened. */
  SOFTWARE: 70,
  /** The local store could not be opened or written (read-only file system, permissions). */
  CANTCREAT: 73,
  /** The disk is full or failed while writing the local store. */
  IOERR: 74,
  /** Temporary failure (network, server down, throttled, another Understudy holds the lock): try again later. */
  TEMPFAIL: 75,
  /** Login refused: wrong user, password or token. */
  NOPERM: 77,
  /** The config (or a secret it points to) is missing or invalid. */
  CONFIG: 78,
  /** Stopped by Ctrl-C (128 + SIGINT), after saving what can be resumed. */
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
