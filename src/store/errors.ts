// Typed errors of the local store, and the classification of SQLite's and the file system's
// failures as local storage problems (never as network or IMAP failures).
import { type ErrorKind, UnderstudyError } from '../errors.js';

export type StoreErrorCode =
  | 'STORE_OPEN_FAILED'
  | 'STORE_TOO_NEW'
  | 'STORE_MIGRATION_FAILED'
  /** Another process holds a write lock on the database longer than the busy timeout. */
  | 'STORE_BUSY'
  /** The disk (or the user's quota) is full. */
  | 'STORE_DISK_FULL'
  /** The database or its folder is on a read-only file system, or not writable for us. */
  | 'STORE_READ_ONLY'
  /** The disk returned an I/O error, or the file is damaged. */
  | 'STORE_IO_ERROR';

/**
 * The local store failed. Only a busy store is `temporary` (another process writes it); the others
 * are `final` until the user acts (their exit codes 73, 74 and 70 come from src/errors.ts).
 */
export class StoreError extends UnderstudyError {
  declare readonly code: StoreErrorCode;
  /** What the user can do about it. */
  declare readonly fix: string;
  constructor(code: StoreErrorCode, message: string, cause?: unknown, fix = '') {
    super(code, STORE_KINDS[code], message, { fix: fix || FIXES[code], cause });
    this.name = 'StoreError';
  }
}

const STORE_KINDS: Record<StoreErrorCode, ErrorKind> = {
  STORE_OPEN_FAILED: 'final',
  STORE_TOO_NEW: 'final',
  STORE_MIGRATION_FAILED: 'final',
  STORE_BUSY: 'temporary',
  STORE_DISK_FULL: 'final',
  STORE_READ_ONLY: 'final',
  STORE_IO_ERROR: 'final',
};

/** SQLite's primary result codes (https://sqlite.org/rescode.html) that mean "local storage". */
const SQLITE_KINDS: Record<string, StoreErrorCode> = {
  SQLITE_BUSY: 'STORE_BUSY',
  SQLITE_LOCKED: 'STORE_BUSY',
  SQLITE_FULL: 'STORE_DISK_FULL',
  SQLITE_READONLY: 'STORE_READ_ONLY',
  SQLITE_CANTOPEN: 'STORE_OPEN_FAILED',
  SQLITE_PERM: 'STORE_READ_ONLY',
  SQLITE_IOERR: 'STORE_IO_ERROR',
  SQLITE_CORRUPT: 'STORE_IO_ERROR',
  SQLITE_NOTADB: 'STORE_IO_ERROR',
};

/** errno codes of the file system, for the store's folder and files. */
const ERRNO_KINDS: Record<string, StoreErrorCode> = {
  ENOSPC: 'STORE_DISK_FULL',
  EDQUOT: 'STORE_DISK_FULL',
  EROFS: 'STORE_READ_ONLY',
  EACCES: 'STORE_READ_ONLY',
  EPERM: 'STORE_READ_ONLY',
  EIO: 'STORE_IO_ERROR',
  // data_dir where no folder can be: a file in the way, or a pseudo file system (/proc, /sys).
  ENOTDIR: 'STORE_OPEN_FAILED',
  EEXIST: 'STORE_OPEN_FAILED',
  ENOENT: 'STORE_OPEN_FAILED',
};

const FIXES: Record<StoreErrorCode, string> = {
  STORE_OPEN_FAILED:
    'set data_dir to a folder you can write (a file is in the way, or the path is on a pseudo file system such as /proc)',
  STORE_TOO_NEW: 'upgrade Understudy',
  STORE_MIGRATION_FAILED: 'report it with the message above; the store was left at its previous version',
  STORE_BUSY:
    'another Understudy process is writing the store; wait for it to finish (`understudy status` shows the daemon)',
  STORE_DISK_FULL: 'free some space on the disk that holds data_dir (or move data_dir), then run the command again',
  STORE_READ_ONLY:
    'the file system holding data_dir is read-only or not yours: remount it read-write, fix the permissions, or set data_dir to a writable folder',
  STORE_IO_ERROR:
    'the disk reported an error; check it (dmesg, smartctl) and restore the store from a backup if needed',
};

const WORDS: Record<StoreErrorCode, string> = {
  STORE_OPEN_FAILED: 'cannot open the local store',
  STORE_TOO_NEW: 'the local store is too new',
  STORE_MIGRATION_FAILED: 'the local store could not be upgraded',
  STORE_BUSY: 'the local store is locked by another process',
  STORE_DISK_FULL: 'the disk is full: the local store cannot be written',
  STORE_READ_ONLY: 'the local store is on a read-only file system (EROFS) or not writable',
  STORE_IO_ERROR: 'the disk failed while reading or writing the local store',
};

/**
 * Classifies `err` as a local storage failure, or returns null when it is something else.
 * Recognises better-sqlite3's SqliteError (its `code` is SQLite's extended result code, e.g.
 * `SQLITE_IOERR_WRITE`) and Node's file system errors (errno codes such as ENOSPC, EROFS).
 * `where` names the file or folder for the message.
 */
export function storeErrorFrom(err: unknown, where?: string): StoreError | null {
  if (err instanceof StoreError) return err;
  if (isStoreErrorLike(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  let kind: StoreErrorCode | undefined;
  if (code.startsWith('SQLITE_')) {
    // Extended codes carry the primary one as their prefix: SQLITE_READONLY_DBMOVED, SQLITE_IOERR_FSYNC.
    const primary = Object.keys(SQLITE_KINDS).find((p) => code === p || code.startsWith(`${p}_`));
    // An IOERR caused by a full disk is reported by SQLite as SQLITE_FULL; SQLITE_IOERR_NOMEM is memory.
    kind = primary ? SQLITE_KINDS[primary] : undefined;
  } else if (typeof (err as { syscall?: unknown }).syscall === 'string') {
    kind = ERRNO_KINDS[code];
  }
  if (!kind) return null;
  const detail = (err as Error).message;
  return new StoreError(kind, `${WORDS[kind]}${where ? ` (${where})` : ''}: ${detail}`, err, FIXES[kind]);
}

/** The fix for a store error code (for errors built elsewhere). */
export function storeFix(code: StoreErrorCode): string {
  return FIXES[code];
}

/**
 * True for a StoreError, also one built by another copy of this module (the daemon is its own
 * bundle, so `instanceof` alone would miss its errors in the CLI's error printer).
 */
export function isStoreErrorLike(err: unknown): err is StoreError {
  const e = err as { name?: unknown; code?: unknown } | null;
  return (
    err instanceof StoreError ||
    (e !== null &&
      typeof e === 'object' &&
      e.name === 'StoreError' &&
      typeof e.code === 'string' &&
      e.code.startsWith('STORE_'))
  );
}
