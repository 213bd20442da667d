// Which INBOX messages a run considers, each with its identity (mailbox, UIDVALIDITY, UID,
// content), and the outbox's say on top of triage: a message that already has a draft of ours,
// whose draft the user deleted or sent, or whose reply was refused under the current model, gets
// no new one.
import { parseMessageIds } from '../mail/headers.js';
import type { DraftRow } from '../store/drafts.js';
import type { Message } from '../store/messages.js';
import type { Candidate } from './triage.js';

/** A triage candidate plus what identifies the message (Message-ID is only a threading key). */
export interface InboxCandidate extends Candidate {
  contentId: number;
  mailbox: string;
  uidValidity: number | null;
  /** The thread's root Message-ID (first of References), else In-Reply-To, else its own. */
  threadKey: string;
  /** Message-IDs this message answers or descends from (In-Reply-To and References). */
  ancestors: string[];
}

/** Why the outbox holds a message back even though triage would draft it. */
export type OutboxSkip =
  | 'draft_exists'
  | 'user_draft'
  | 'declined'
  | 'replied'
  | 'refused_before'
  | 'superseded'
  | 'over_limit';

export const OUTBOX_SKIP_LABELS: Record<OutboxSkip, string> = {
  draft_exists: 'a draft already waits in this thread',
  user_draft: 'a draft of yours answering it waits in Drafts',
  declined: 'you deleted its draft (a new message in the thread gets a new one)',
  replied: 'you replied to its draft',
  refused_before: 'its reply was refused under this model (retried when the model changes)',
  superseded: 'a newer message in this thread was drafted instead',
  over_limit: "over this run's limit (drafts.limit or --limit); a later run drafts it",
};

/** The cleaned text of a message as triage reads it (src/dataset/clean.ts cleanedText). */
export type CleanedForTriage = Pick<Candidate, 'skipReasons' | 'ownText' | 'error'>;

/** What triage reads of one stored INBOX message: its headers and its cleaned text. */
export function triageCandidate(m: Message, text: CleanedForTriage): Candidate {
  return {
    uid: m.uid,
    messageId: m.messageId,
    from: m.from,
    replyTo: m.replyTo,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    date: m.date,
    flags: m.flags,
    skipReasons: text.skipReasons,
    ownText: text.ownText,
    error: text.error,
  };
}

/**
 * INBOX rows as candidates, one per content (a message stored twice is considered once), with
 * the cleaned text from the dataset's cleaning. `cleaned` is that lookup (cleanedText).
 */
export function inboxCandidates(
  rows: readonly Message[],
  cleaned: (contentId: number) => CleanedForTriage,
): InboxCandidate[] {
  const seen = new Set<number>();
  const out: InboxCandidate[] = [];
  for (const m of rows) {
    if (seen.has(m.contentId)) continue;
    seen.add(m.contentId);
    const text = cleaned(m.contentId);
    const refs = parseMessageIds(m.references.join(' '));
    const ancestors = [...new Set([...refs, ...(m.inReplyTo ? [m.inReplyTo] : [])])];
    out.push({
      ...triageCandidate(m, text),
      contentId: m.contentId,
      mailbox: m.mailbox,
      uidValidity: m.uidValidity,
      threadKey: refs[0] ?? m.inReplyTo ?? m.messageId ?? '',
      ancestors,
    });
  }
  return out;
}

/**
 * The outbox gate for one candidate, from the journal rows of the account: null when it may be
 * drafted. A row is "for this message" by content (parent_content), never by Message-ID alone,
 * so two different messages that share a Message-ID never block or replace each other.
 * `modelKey` is the current model's (see currentModelKey); a refusal under another is retried.
 */
export function outboxGate(rows: readonly DraftRow[], modelKey: string): (c: InboxCandidate) => OutboxSkip | null {
  const byContent = new Map<number, DraftRow[]>();
  const touchedByThread = new Map<string, DraftRow[]>();
  for (const r of rows) {
    if (r.parent_content !== null) byContent.set(r.parent_content, [...(byContent.get(r.parent_content) ?? []), r]);
    if (r.state === 'touched') touchedByThread.set(r.thread_key, [...(touchedByThread.get(r.thread_key) ?? []), r]);
  }
  return (c) => {
    const mine = byContent.get(c.contentId) ?? [];
    const has = (...states: DraftRow['state'][]) => mine.some((r) => states.includes(r.state));
    if (has('planned', 'appended', 'retiring', 'touched')) return 'draft_exists';
    if (has('sent')) return 'replied';
    if (has('discarded')) return 'declined';
    if (has('superseded')) return 'superseded';
    if (mine.some((r) => r.state === 'failed' && (r.model_key === null || r.model_key === modelKey)))
      return 'refused_before';
    // The user has taken over a draft of ours for another message of this thread: theirs to
    // answer (a message with the same Message-ID but other content is not in that thread).
    const theirs = (touchedByThread.get(c.threadKey) ?? []).filter(
      (r) => r.parent_content !== c.contentId && r.parent_message_id !== c.messageId,
    );
    if (theirs.length) return 'draft_exists';
    return null;
  };
}

/**
 * Of several candidates in one thread, only the newest is drafted (a draft for an older one
 * would be replaced at once). Candidates sharing a Message-ID but not content are all kept.
 * `todo` is oldest first; the order is kept.
 */
export function newestPerThread(todo: readonly InboxCandidate[]): InboxCandidate[] {
  return todo.filter(
    (c, i) => !todo.slice(i + 1).some((later) => later.threadKey === c.threadKey && later.messageId !== c.messageId),
  );
}
