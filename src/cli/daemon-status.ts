// The daemon's status file, as `understudy status` reads it (the daemon writes it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonStatus {
  pid: number;
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
  lastTraining: { at: number; outcome: string } | null;
  draftsToday: number;
  /** Why the daemon stopped by itself (a refused login, a broken secret): set with state 'stopped'. */
  stopped?: { at: number; code: string; exitCode: number; message: string } | null;
}

export function statusFile(dataDir: string): string {
  return join(dataDir, 'daemon-status.json');
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
