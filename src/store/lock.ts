// Cross-process locks in the data folder, like mbsync's per-store lock: one daemon, one `sync`,
// one `draft`, one training at a time. A lock is a small JSON file (pid, command, since) created
// with O_EXCL; a file whose process is gone is stale and taken over. A pid file rather than
// flock(2): Node has no flock, and the holder's pid and command are what the second process
// must show the user anyway.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnderstudyError } from '../errors.js';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  /** What it runs, e.g. `understudy daemon`. */
  command: string;
  /** When it took the lock (ms since the epoch). */
  since: number;
}

export type LockErrorCode = 'LOCKED';

/** The lock is held by another live process (temporary: exit 75). Callers branch on `code`; `holder` says who. */
export class LockError extends UnderstudyError {
  declare readonly code: LockErrorCode;
  readonly holder: LockHolder;
  readonly file: string;
  /** What the user can do about it. */
  declare readonly fix: string;
  constructor(message: string, file: string, holder: LockHolder, fix: string) {
    super('LOCKED', 'temporary', message, { fix });
    this.name = 'LockError';
    this.file = file;
    this.holder = holder;
  }
}

/** True when a process with this pid exists (ours or another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Reads a lock file; older lock files held only the pid on a line. Null when unreadable. */
export function readLock(file: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(parsed.pid)) {
      return { pid: parsed.pid as number, command: String(parsed.command ?? '?'), since: Number(parsed.since ?? 0) };
    }
  } catch {
    /* the old format: a pid alone */
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? { pid, command: '?', since: 0 } : null;
}

/** The live holder of `name` in `dataDir`, or null (free, or held by a process that is gone). */
export function lockHolder(dataDir: string, name: string): LockHolder | null {
  const holder = readLock(join(dataDir, `${name}.lock`));
  return holder && holder.pid !== process.pid && processAlive(holder.pid) ? holder : null;
}

/**
 * "pid 123, `understudy daemon`, since 2026-11-30 02:30:16 UTC (5 min ago)". ISO 8601 in UTC, as the rest
 * of the human output (sync's Ctrl-C line, status, model list): toLocaleString() gave "11/30/2026, 2:30:16 AM",
 * whose order and clock depend on the machine's locale.
 */
export function describeHolder(h: LockHolder, now = Date.now()): string {
  const since = h.since
    ? `, since ${new Date(h.since).toISOString().slice(0, 19).replace('T', ' ')} UTC (${Math.max(0, Math.round((now - h.since) / 60_000))} min ago)`
    : '';
  return `pid ${h.pid}${h.command !== '?' ? `, \`${h.command}\`` : ''}${since}`;
}

export interface LockOptions {
  /** What this process runs, shown to whoever finds the lock taken (e.g. `understudy sync`). */
  command: string;
  /** Builds the error when the lock is held (defaults to a generic LockError). */
  held?: (holder: LockHolder, file: string) => Error;
}

/**
 * Takes the lock `name` (file `<dataDir>/<name>.lock`) for this process; returns its release,
 * which is idempotent and only removes the file while it is still ours.
 * @throws LockError (code LOCKED) naming the holder when another live process holds it, or what
 *   `options.held` builds; the file system's error when the folder is not writable.
 */
export function acquireLock(dataDir: string, name: string, options: LockOptions): () => void {
  const file = join(dataDir, `${name}.lock`);
  const me: LockHolder = { pid: process.pid, command: options.command, since: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Written aside, then linked into place: link(2) is atomic and fails when the lock exists,
      // so nobody ever reads a lock file that is still empty.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
      try {
        linkSync(tmp, file);
      } finally {
        unlinkSync(tmp);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readLock(file)?.pid === process.pid) {
          try {
            unlinkSync(file);
          } catch {}
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(file);
    if (holder && holder.pid !== process.pid && processAlive(holder.pid)) {
      throw options.held?.(holder, file) ?? heldError(name, file, holder);
    }
    takeOverStale(file, holder);
  }
  const holder = readLock(file) ?? { pid: 0, command: '?', since: 0 };
  throw options.held?.(holder, file) ?? heldError(name, file, holder);
}

function heldError(name: string, file: string, holder: LockHolder): LockError {
  return new LockError(
    `another Understudy process holds the ${name} lock (${describeHolder(holder)})`,
    file,
    holder,
    `wait for it to finish, or stop it (kill ${holder.pid}); the lock file is ${file}`,
  );
}

/**
 * Removes a stale lock file without ever removing a live one: two processes may both find the
 * same stale file. The file is first renamed away (only one rename of it can succeed); if what
 * was moved is not the stale file we judged (someone took the lock in between), it is linked
 * back (link fails rather than overwrite if yet another process has taken the lock since).
 */
function takeOverStale(file: string, judged: LockHolder | null): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // already moved by another process: just try again
  }
  const moved = readLock(aside);
  if (moved && judged && moved.pid !== judged.pid && processAlive(moved.pid)) {
    try {
      linkSync(aside, file);
    } catch {}
  }
  try {
    unlinkSync(aside);
  } catch {}
}

/**
 * The data folder's work lock: held by the daemon, `sync` and `draft` (what writes the store and
 * the server), so that two of them never sync or draft side by side. Read-only commands
 * (`status`, `dataset show`, `config check`) never take it.
 * @throws LockError naming the holder; when that is the daemon, the fix says it already does
 *   this work and how to stop it.
 */
export function acquireDataLock(dataDir: string, command: string): () => void {
  return acquireLock(dataDir, 'understudy', {
    command,
    held: (holder, file) => {
      const daemon = /\bdaemon\b/.test(holder.command);
      return new LockError(
        `another Understudy is working on ${dataDir} (${describeHolder(holder)})`,
        file,
        holder,
        daemon
          ? 'the daemon syncs and drafts by itself (`understudy status` shows what it is doing); to run this by hand, stop it first: systemctl --user stop understudy (or kill ' +
              `${holder.pid})`
          : 'wait for it to finish and run this again',
      );
    },
  });
}
