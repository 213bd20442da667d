// Why mail got no draft, for the report: every INBOX message that has no draft of ours, with the
// triage reason drafting gives it (src/drafts/triage.ts, the same pure function), or the reason
// its generated reply was refused. Mail with a draft (whatever became of it) is not counted.
import type { AccountConfig, DraftSettings } from '../config/load.js';
import { mergeCopies } from '../dataset/build.js';
import { cleanedText } from '../dataset/clean.js';
import { userIdentity } from '../dataset/identity.js';
import { triageCandidate } from '../drafts/candidates.js';
import { SKIP_LABELS, type TriageSkip, triage } from '../drafts/triage.js';
import type { Db } from '../store/db.js';
import { answeredMessageIds, draftParents, inboxMessages } from '../store/drafts.js';
import { messagesForDataset } from '../store/messages.js';

/** Reason label → number of INBOX messages. */
export function noDraftReasons(
  db: Db,
  accountId: number,
  account: AccountConfig,
  settings: DraftSettings,
  now: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (label: string) => counts.set(label, (counts.get(label) ?? 0) + 1);
  const drafts = new Map<number, { failed: boolean; reason: string | null }>();
  for (const d of draftParents(db, accountId)) {
    if (d.parent_content === null) continue;
    const before = drafts.get(d.parent_content);
    // One written draft is enough for "got a draft"; otherwise the last refusal says why not.
    if (!before || before.failed) drafts.set(d.parent_content, { failed: d.state === 'failed', reason: d.reason });
  }
  const identity = userIdentity(account.addresses, mergeCopies(messagesForDataset(db, accountId)));
  const answered = answeredMessageIds(db, accountId, identity.addresses);
  const oldest = now - settings.maxAgeDays * 86_400_000;
  const seen = new Set<number>();
  for (const m of inboxMessages(db, accountId, 0)) {
    if (seen.has(m.contentId)) continue;
    seen.add(m.contentId);
    const draft = drafts.get(m.contentId);
    if (draft && !draft.failed) continue;
    if (draft?.failed) {
      // "degenerate: the model repeated itself" → "reply refused: degenerate"
      add(`reply refused: ${(draft.reason ?? 'unknown').split(':')[0]}`);
      continue;
    }
    // Old mail needs no cleaning to know its reason (cleaning all of it would be slow).
    if (m.date !== null && m.date < oldest) {
      add(SKIP_LABELS.too_old);
      continue;
    }
    const cleaned = cleanedText(db, m.contentId);
    const decision = triage(triageCandidate(m, cleaned), {
      settings,
      ownAddresses: identity.addresses,
      now,
      answered,
      drafted: new Set(),
    });
    add(
      decision.action === 'skip' ? (SKIP_LABELS[decision.reason as TriageSkip] ?? decision.reason) : 'not drafted yet',
    );
  }
  return counts;
}
