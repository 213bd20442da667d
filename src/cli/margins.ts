// The line `understudy status` prints per account about the model: which version writes the
// drafts and by how much it beat the prompted route (the base model shown a few past replies) on
// that account's held-out messages, from the stored evaluation.
import { promotedVersion } from '../model/registry.js';
import { accountIdByName } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { type AccountMargin, promotedMargins } from '../store/evaluations.js';

/** Per account name: its margin, or null when no evaluated version is promoted for it. */
export function accountMargins(db: Db, names: readonly string[]): { account: string; margin: AccountMargin | null }[] {
  const margins = promotedMargins(db);
  return names.map((account) => {
    const id = accountIdByName(db, account);
    return { account, margin: margins.find((m) => m.accountId === id) ?? null };
  });
}

/** "work: version 3 writes drafts; over the prompted route chrF 21.0 → 35.2 (+14.2), loss 4.120 → 2.310 on 8 held-out replies" */
export function marginLines(db: Db, names: readonly string[]): string[] {
  const promoted = promotedVersion(db);
  return accountMargins(db, names).map(({ account, margin: m }) => {
    if (!promoted) return `${account}: no trained version yet; drafts use the prompted route (cold start)`;
    if (!m || m.version !== promoted.id)
      return `${account}: version ${promoted.id} writes drafts (no held-out replies of this account to compare with the prompted route)`;
    const loss =
      m.prompted.loss !== null && m.tuned.loss !== null
        ? `, loss ${m.prompted.loss.toFixed(3)} → ${m.tuned.loss.toFixed(3)}`
        : '';
    const d = m.tuned.chrf - m.prompted.chrf;
    return `${account}: version ${m.version} writes drafts; over the prompted route chrF ${m.prompted.chrf.toFixed(1)} → ${m.tuned.chrf.toFixed(1)} (${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)})${loss} on ${m.samples} held-out replies`;
  });
}
