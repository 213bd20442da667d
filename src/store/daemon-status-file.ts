// The daemon's status file (daemon-status.json in the data dir): its format, where it lives, how
// it is written (atomically, 0600) and read. The daemon writes it; `understudy status` reads it,
// so a running daemon can be shown without a socket. The one module both sides import.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How the last training the daemon started ended, as fields to branch on: `promoted` and
 * `not_promoted` name the new version; `failed` carries the child's exit code (null when it could
 * not start); `skipped` means training was not due (too few new examples, the GPU busy).
 */
export type TrainingStatus = 'promoted' | 'not_promoted' | 'failed' | 'skipped';

export interface DaemonStatus {
  pid: number;
  /** Epoch milliseconds, like every time in this file. */
  startedAt: number;
  updatedAt: number;
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  accounts: { name: string; idle: boolean; lastSyncAt: number | null; lastError: string | null }[];
  jobs: {
    kind: string;
    running: boolean;
    progress: string | null;
    lastFinishedAt: number | null;
    lastError: string | null;
    runs: number;
  }[];
  model: { version: number | null; mode: string | null };
  nextTraining: number | null;
  /**
   * `outcome` is the sentence for people ("promoted version 3: …"); programs read `status` and
   * `version` (absent in files written before they existed).
   */
  lastTraining: { at: number; status?: TrainingStatus; version?: number | null; outcome: string } | null;
  draftsToday: number;
  /** Why the daemon stopped by itself (a refused login, a broken secret): set with state 'stopped'. */
  stopped?: { at: number; code: string; exitCode: number; message: string } | null;
}

/** The status file's path in `dataDir`. */
export function statusFile(dataDir: string): string {
  return join(dataDir, 'daemon-status.json');
}

/**
 * Writes `status` atomically (a temporary file renamed over the old one, so a reader never sees
 * half a file), readable by this user only. Throws the file system's error (ENOSPC, EACCES);
 * the daemon logs it and carries on.
 */
export function writeDaemonStatus(dataDir: string, status: DaemonStatus): void {
  const file = statusFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The status of a running daemon, or null when none runs (no file, or its process is gone). */
export function readDaemonStatus(dataDir: string): DaemonStatus | null {
  let status: DaemonStatus;
  try {
    status = JSON.parse(readFileSync(statusFile(dataDir), 'utf8')) as DaemonStatus;
  } catch {
    return null;
  }
  try {
    process.kill(status.pid, 0);
  } catch {
    return null;
  }
  return status;
}

/**
 * The last status of a daemon that stopped by itself because of a problem it cannot fix (a
 * refused login, a secret it cannot read), or null. The service manager does not restart it, so
 * `understudy status` is where the user learns why it is not running.
 */
export function readDaemonStopped(dataDir: string): DaemonStatus | null {
  try {
    const status = JSON.parse(readFileSync(statusFile(dataDir), 'utf8')) as DaemonStatus;
    return status.state === 'stopped' && status.stopped ? status : null;
  } catch {
    return null;
  }
}
