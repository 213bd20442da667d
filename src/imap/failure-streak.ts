// Says whether a failure is new or the same one again, so that a loop that retries (IDLE
// reconnects, sync retries, the daemon's scheduled syncs) logs the cause and its fix once, at
// warn or error, and the repeats quietly: a wrong tls/port retried every 30 s filled the log with
// the same line, which buried the one line that said what to change.
import { isUnderstudyError } from '../errors.js';

/** The identity of a failure for this purpose: its code and message (a new cause logs again). */
function keyOf(err: unknown): string {
  if (isUnderstudyError(err)) return `${err.code}\u0000${err.message}`;
  const e = err as { code?: unknown; message?: unknown } | null;
  return `${String(e?.code ?? '')}\u0000${String(e?.message ?? err)}`;
}

/** One loop's run of failures. Not shared between loops: each keeps its own. */
export class FailureStreak {
  private last: string | null = null;
  /** How many times in a row the current failure was seen (1 the first time). */
  count = 0;

  /**
   * Records `err`; true when it differs from the previous failure (or follows a success): log it
   * in full then, and the repeats (false) at a quieter level.
   */
  isNew(err: unknown): boolean {
    const key = keyOf(err);
    if (key === this.last) {
      this.count++;
      return false;
    }
    this.last = key;
    this.count = 1;
    return true;
  }

  /** A success ends the streak: the next failure is new again, even the same one. */
  reset(): void {
    this.last = null;
    this.count = 0;
  }
}
