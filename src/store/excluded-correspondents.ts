// The excluded_correspondents table: addresses (or globs) and domains `understudy privacy exclude`
// keeps out of training. Matching them against mail is src/dataset/exclude.ts.
import { type Db, stmt } from './db.js';

/** One stored exclusion, as `understudy privacy list` shows it (added_at: ms since the epoch). */
export interface StoredExclusion {
  /** Lower case: an address or glob for a sender, a domain without '@' for a domain. */
  pattern: string;
  kind: 'sender' | 'domain';
  added_at: number;
}

/** Every stored exclusion, by pattern. */
export function storedExclusions(db: Db): StoredExclusion[] {
  return stmt<[], StoredExclusion>(
    db,
    'SELECT pattern, kind, added_at FROM excluded_correspondents ORDER BY pattern',
  ).all();
}

/** Adds a rule; returns false when it was already there. */
export function addExclusion(db: Db, rule: { pattern: string; kind: 'sender' | 'domain' }): boolean {
  return (
    stmt(db, 'INSERT OR IGNORE INTO excluded_correspondents (pattern, kind, added_at) VALUES (?, ?, ?)').run(
      rule.pattern,
      rule.kind,
      Date.now(),
    ).changes > 0
  );
}

/** Removes a rule; returns false when there was none. */
export function removeExclusion(db: Db, pattern: string): boolean {
  return stmt(db, 'DELETE FROM excluded_correspondents WHERE pattern = ?').run(pattern).changes > 0;
}
