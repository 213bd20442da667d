// Drafting switched off without stopping the rest: `understudy pause` writes a small file in the
// data folder, `understudy resume` removes it. Sync, feedback (your sent replies matched to our
// drafts) and training go on; no new draft is written while it is there. A file rather than a
// store row so that the daemon, `draft` and `status` see it without a migration or a lock.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why drafting is paused: when, and by what (the command line that paused it). */
export interface DraftingPause {
  /** ms since epoch */
  since: number;
  by: string;
}

export function pauseFile(dataDir: string): string {
  return join(dataDir, 'drafting-paused.json');
}

/** The pause in force, or null when drafting runs. An unreadable file counts as paused (the safe side). */
export function draftingPaused(dataDir: string): DraftingPause | null {
  let text: string;
  try {
    text = readFileSync(pauseFile(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { since: 0, by: `unreadable ${pauseFile(dataDir)}` };
  }
  try {
    const p = JSON.parse(text) as Partial<DraftingPause>;
    return { since: Number(p.since) || 0, by: String(p.by ?? 'understudy pause') };
  } catch {
    return { since: 0, by: 'understudy pause' };
  }
}

/**
 * Pauses drafting (atomically, 0600). Returns the pause already in force instead when there is one.
 * @throws the file system's error when the data folder cannot be written
 */
export function pauseDrafting(
  dataDir: string,
  by: string,
  now = Date.now(),
): { pause: DraftingPause; already: boolean } {
  const existing = draftingPaused(dataDir);
  if (existing) return { pause: existing, already: true };
  const pause = { since: now, by };
  const tmp = `${pauseFile(dataDir)}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(pause)}\n`, { mode: 0o600 });
  renameSync(tmp, pauseFile(dataDir));
  return { pause, already: false };
}

/** Resumes drafting; returns the pause that was lifted, or null when drafting was not paused. */
export function resumeDrafting(dataDir: string): DraftingPause | null {
  const existing = draftingPaused(dataDir);
  rmSync(pauseFile(dataDir), { force: true });
  return existing;
}
