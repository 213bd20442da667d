// Writes the daemon's health to a small JSON file in the data dir (atomically, 0600), so that
// `understudy status` can show it while the daemon runs, without a socket.
import { renameSync, writeFileSync } from 'node:fs';
import { type DaemonStatus, statusFile } from '../src/cli/daemon-status.js';

export type { DaemonStatus };

export function writeStatus(dataDir: string, status: DaemonStatus): void {
  const file = statusFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
