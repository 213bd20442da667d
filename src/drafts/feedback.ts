// Feedback: what became of each draft of ours. Sent (the user's reply compared with the draft),
// touched (the user took it over), or discarded (deleted without a reply). These pairs (what we
// wrote, what was sent) are the best future training signal.
import { cleanedText } from '../dataset/clean.js';
import type { Db } from '../store/db.js';
import { type DraftRow, draftsInState, possibleSentCopies } from '../store/drafts.js';
import type { Message } from '../store/messages.js';
import type { Outbox } from './outbox.js';
import { editSimilarity, outcomeOf } from './similarity.js';

export interface FeedbackCounts {
  /** Drafts whose message the user answered (counted once, when first seen). */
  sent: number;
  /** Drafts deleted without a reply (counted once). */
  discarded: number;
}

/**
 * One feedback pass over the account's drafts: appended, touched and discarded rows are checked
 * for a sent reply; appended rows no longer on the server as we wrote them become touched or
 * discarded. `ownAddresses` are lower-case; `draftsMailbox` is the Drafts path (its copies are
 * never the sent reply).
 */
export async function recordFeedback(options: {
  db: Db;
  accountId: number;
  outbox: Outbox;
  ownAddresses: ReadonlySet<string>;
  draftsMailbox: () => Promise<string>;
}): Promise<FeedbackCounts> {
  const { db, accountId, outbox } = options;
  const result: FeedbackCounts = { sent: 0, discarded: 0 };
  const rows = draftsInState(db, accountId, ['appended', 'touched', 'discarded']);
  if (!rows.length) return result;
  const draftsPath = await options.draftsMailbox();
  const ours = new Set(draftsInState(db, accountId, ['planned', 'appended', 'retiring']).map((r) => r.draft_key));
  for (const row of rows) {
    const reply = sentReply(db, accountId, row, options.ownAddresses, draftsPath);
    if (reply) {
      const sentText = cleanedText(db, reply.contentId).ownText ?? '';
      const similarity = editSimilarity(row.body, sentText);
      outbox.sent(row, {
        similarity: Math.round(similarity * 1000) / 1000,
        outcome: outcomeOf(similarity),
        sentMessageId: reply.messageId,
        sentText,
      });
      result.sent++;
      continue;
    }
    if (row.state !== 'appended') continue;
    const where = await outbox.whereabouts(row);
    if (where.kind === 'ours') continue;
    if (where.kind === 'touched') {
      outbox.touched(row, where);
      continue;
    }
    // Gone. A client that drops our header saves the user's edit as a new message of its own:
    // a draft answering the same message in Drafts means the user is writing it, not "no".
    const replacing = row.parent_message_id ? await outbox.userDraftsAnswering([row.parent_message_id], ours) : [];
    if (replacing.length) {
      outbox.touched(row, { reason: `edited by you (saved without our header as UID ${replacing.join(', ')})` });
      continue;
    }
    outbox.discarded(row);
    result.discarded++;
  }
  return result;
}

/**
 * The user's sent reply for a draft, if any: a copy of the draft's own Message-ID (clients that
 * keep it on sending) that is not a draft, or a message from the user (in a \Sent mailbox, or
 * from one of their addresses in any synced mailbox, e.g. a Sent folder added through
 * folders.include) whose In-Reply-To/References names the message the draft answers and that was
 * written after the draft.
 */
function sentReply(
  db: Db,
  accountId: number,
  row: DraftRow,
  own: ReadonlySet<string>,
  draftsPath: string,
): Message | undefined {
  if (!row.parent_message_id) return undefined;
  const isDraft = (c: Message) =>
    c.mailbox === draftsPath || c.specialUse === '\\Drafts' || c.flags.some((f) => f.toLowerCase() === '\\draft');
  const fromUser = (c: Message) => {
    if (c.specialUse === '\\Sent') return true;
    const from = c.from[0]?.address;
    return Boolean(from && own.has(from.toLowerCase()));
  };
  return possibleSentCopies(db, accountId, row.message_id, row.parent_message_id).find(
    (c) =>
      !isDraft(c) &&
      (c.messageId === row.message_id || (fromUser(c) && (c.date ?? Date.now()) >= row.created_at - 60_000)),
  );
}
