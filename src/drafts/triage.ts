// Which incoming messages get a draft, and for every one that does not, why not.
import picomatch from 'picomatch';
import type { DraftSettings } from '../config/load.js';
import type { SkipReason } from '../mail/classify.js';
import { isOwnAddress, replyRecipients } from './recipients.js';

export type TriageSkip =
  | 'from_me'
  | 'no_sender'
  | 'no_message_id'
  | 'unreadable'
  | 'empty'
  | SkipReason
  | 'answered'
  | 'too_old'
  | 'cc_only'
  | 'not_addressed'
  | 'excluded_sender'
  | 'excluded_domain'
  | 'draft_exists'
  | 'unlikely_reply';

export const SKIP_LABELS: Record<TriageSkip, string> = {
  from_me: 'sent by you',
  no_sender: 'has no From address',
  no_message_id: 'has no Message-ID to reply to',
  unreadable: 'could not be read',
  empty: 'has no text to answer',
  auto_reply: 'an automatic reply',
  bulk: 'bulk mail',
  mailing_list: 'mailing-list mail',
  no_reply_sender: 'from a no-reply address',
  bounce: 'a bounce',
  calendar: 'calendar traffic',
  bare_forward: 'a forward without a message',
  answered: 'already answered',
  too_old: 'older than drafts.max_age_days',
  cc_only: 'you are only in Cc (drafts.reply_when_cc)',
  not_addressed: "not addressed to you: Bcc, a list, or an alias missing from the account's addresses (add it there)",
  excluded_sender: 'sender excluded (drafts.exclude_senders)',
  excluded_domain: 'domain excluded (drafts.exclude_domains)',
  draft_exists: 'a draft already waits in this thread',
  unlikely_reply: 'you rarely answer this sender (drafts.min_reply_rate)',
};

export interface Candidate {
  uid: number;
  messageId: string | null;
  from: { name?: string; address?: string }[];
  /** Reply-To mailboxes; a reply goes to these (minus the user) rather than to From. */
  replyTo?: { name?: string; address?: string }[];
  to: { address?: string }[];
  cc: { address?: string }[];
  subject: string | null;
  date: number | null;
  flags: string[];
  /** Junk classification and cleaned text of the message (from the dataset's cleaning). */
  skipReasons: SkipReason[];
  ownText: string | null;
  error: string | null;
}

export interface TriageContext {
  settings: DraftSettings;
  ownAddresses: ReadonlySet<string>;
  now: number;
  /** Message-IDs the user has replied to (In-Reply-To/References of their sent mail). */
  answered: ReadonlySet<string>;
  /** Message-IDs that already have a live draft of ours. */
  drafted: ReadonlySet<string>;
  /** Share of a sender's messages the user answered, when known (for min_reply_rate). */
  replyRate?: (address: string) => number | undefined;
}

export type Decision =
  | { action: 'draft'; candidate: Candidate }
  | { action: 'skip'; candidate: Candidate; reason: TriageSkip };

/**
 * The triage decision for one incoming message. "From me" means the reply would only go back
 * to the user: mail from the user's own address whose Reply-To names someone else (contact
 * forms, ticket systems) is answered, to that someone. Sender exclusions apply to the From
 * (when not the user) and to every address the reply would go to.
 */
export function triage(candidate: Candidate, ctx: TriageContext): Decision {
  const skip = (reason: TriageSkip): Decision => ({ action: 'skip', candidate, reason });
  const from = candidate.from[0]?.address?.toLowerCase();
  const replyTo = candidate.replyTo ?? [];
  if (!from && !replyTo.some((p) => p.address)) return skip('no_sender');
  const { to: recipients } = replyRecipients(
    { from: candidate.from, replyTo, to: [], cc: [] },
    ctx.ownAddresses,
    false,
  );
  const correspondents = recipients.map((p) => (p.address ?? '').toLowerCase());
  const [sender] = correspondents;
  if (!sender) return skip(from && isOwnAddress(from, ctx.ownAddresses) ? 'from_me' : 'no_sender');
  if (from && !isOwnAddress(from, ctx.ownAddresses) && !correspondents.includes(from)) correspondents.push(from);
  if (!candidate.messageId) return skip('no_message_id');
  if (candidate.date !== null && ctx.now - candidate.date > ctx.settings.maxAgeDays * 86_400_000)
    return skip('too_old');
  if (candidate.error) return skip('unreadable');
  const [junk] = candidate.skipReasons;
  if (junk) return skip(junk);
  if (candidate.flags.includes('\\Answered') || ctx.answered.has(candidate.messageId)) return skip('answered');
  if (ctx.drafted.has(candidate.messageId)) return skip('draft_exists');
  const domains = correspondents.map((a) => a.split('@')[1] ?? '');
  if (domains.some((domain) => ctx.settings.excludeDomains.some((d) => domain === d || domain.endsWith(`.${d}`))))
    return skip('excluded_domain');
  if (
    ctx.settings.excludeSenders.length &&
    correspondents.some((a) => picomatch.isMatch(a, ctx.settings.excludeSenders, { nocase: true }))
  )
    return skip('excluded_sender');
  const inTo = candidate.to.some((a) => isOwnAddress(a.address, ctx.ownAddresses));
  // Neither in To nor in Cc: Bcc, a list, or an alias the config does not know. reply_when_cc
  // is about Cc only, so it never turns this into a draft.
  if (!inTo && !candidate.cc.some((a) => isOwnAddress(a.address, ctx.ownAddresses))) return skip('not_addressed');
  if (!inTo && !ctx.settings.replyWhenCc) return skip('cc_only');
  if (!(candidate.ownText ?? '').trim()) return skip('empty');
  if (ctx.settings.minReplyRate > 0) {
    const rate = ctx.replyRate?.(sender);
    if (rate !== undefined && rate < ctx.settings.minReplyRate) return skip('unlikely_reply');
  }
  return { action: 'draft', candidate };
}
