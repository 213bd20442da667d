// Finds the message a reply answers: by In-Reply-To/References in the store, else by the FIRST message quoted in
// the reply (who wrote it, when, and what it said) — a stored one when it matches, else the quoted one itself.
import type { QuotedMessage } from '../mail/quoted-message.js';
import { stripReplyPrefixes } from '../mail/subject.js';
import type { Person } from '../model/prompt.js';
import { addressedTo, nameMatches, normalize, peopleFromField } from './people.js';
import { baseSubject } from './thread.js';

export { addressedTo, nameMatches, normalize };

/** One message of the store, its copies in several mailboxes merged. */
export interface DatasetMessage {
  contentId: number;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Person[];
  to: Person[];
  cc: Person[];
  replyTo: Person[];
  subject: string | null;
  date: number | null;
  /** A copy is in a \Sent mailbox. */
  inSent: boolean;
}

/**
 * How the parent was found: `headers` (In-Reply-To/References), `quote` (a stored message matching the first
 * quoted message), `reconstructed` (not stored: rebuilt from the first quoted message of the reply), `subject`
 * (a reply quoting nothing: the latest message of its thread from someone it is addressed to).
 */
export type PairedBy = 'headers' | 'quote' | 'reconstructed' | 'subject';

/**
 * The direct parent by headers: In-Reply-To, else the last of References (RFC 5322 §3.6.4 puts
 * the parent last). An older ancestor is not the message being answered, so it is not used.
 */
export function parentByHeaders(
  reply: DatasetMessage,
  byMessageId: ReadonlyMap<string, DatasetMessage>,
): DatasetMessage | null {
  const direct = reply.inReplyTo ?? reply.references.at(-1) ?? null;
  if (!direct) return null;
  return byMessageId.get(direct) ?? null;
}

export interface QuoteMatchInput {
  reply: DatasetMessage;
  /** The first quoted message of the reply (quotedMessage()): only it is compared, never what is quoted deeper. */
  quoted: QuotedMessage;
  /** Messages that could be the parent (not the user's own), indexed by base subject. */
  bySubject: ReadonlyMap<string, DatasetMessage[]>;
  /** The cleaned text of a candidate (computed on demand, cached by the caller). */
  ownText: (m: DatasetMessage) => string | null;
}

export interface QuoteMatch {
  parent: DatasetMessage;
  /** What agreed, for `dataset show`: "quoted text", "attribution sender", "attribution date", … */
  evidence: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Recovers the stored parent of a reply without usable headers (old Outlook, Enron-era mail) from its first quoted
 * message: same thread subject, and the quoted words are the candidate's words; the attribution's sender and date
 * and the reply's recipients are further evidence. A candidate dated after the reply is accepted only when the
 * attribution's address and time and the quoted text all match it exactly (a sender's clock was wrong). Returns null
 * unless the evidence is clear, because a wrong pair teaches the model a wrong reply; the caller then reconstructs
 * the parent from the quote.
 */
export function parentByQuote(input: QuoteMatchInput): QuoteMatch | null {
  const { reply, quoted } = input;
  const text = normalize(quoted.text);
  const subjects = new Set([baseSubject(reply.subject)]);
  if (quoted.subject) subjects.add(baseSubject(quoted.subject));
  const seen = new Set<number>();
  let best: { m: DatasetMessage; score: number; evidence: string[] } | null = null;
  for (const subject of subjects) {
    for (const m of input.bySubject.get(subject) ?? []) {
      if (m.contentId === reply.contentId || seen.has(m.contentId)) continue;
      seen.add(m.contentId);
      const judged = judge(m, input, text);
      if (!judged) continue;
      if (!best || better({ m, ...judged }, best, reply.date)) best = { m, ...judged };
    }
  }
  return best && best.score >= 3 ? { parent: best.m, evidence: best.evidence } : null;
}

/**
 * The better of two candidates: the higher score; on a tie, one not dated after the reply (copies of one message
 * can carry dates hours apart), then the later one (the latest message before a reply is the one answered).
 */
function better(
  a: { m: DatasetMessage; score: number },
  b: { m: DatasetMessage; score: number },
  replyDate: number | null,
): boolean {
  if (a.score !== b.score) return a.score > b.score;
  const limit = (replyDate ?? Number.POSITIVE_INFINITY) + 10 * 60_000;
  const aBefore = (a.m.date ?? 0) <= limit;
  const bBefore = (b.m.date ?? 0) <= limit;
  if (aBefore !== bBefore) return aBefore;
  return (a.m.date ?? 0) > (b.m.date ?? 0);
}

function judge(
  m: DatasetMessage,
  input: QuoteMatchInput,
  quotedText: string,
): { score: number; evidence: string[] } | null {
  const { reply, quoted } = input;
  const evidence: string[] = [];
  let score = 0;
  const own = normalize(input.ownText(m) ?? '');
  let exactText = false;
  let textMatch = false;
  if (own.length >= 3 && quotedText.length >= 3) {
    const head = own.slice(0, 160);
    if (quotedText.includes(head) || own.includes(quotedText.slice(0, 160))) {
      score += 3;
      textMatch = true;
      exactText = true;
      evidence.push('quoted text');
    } else if (jaccard(words(quotedText.slice(0, 600)), words(own.slice(0, 600))) >= 0.5) {
      score += 2;
      textMatch = true;
      evidence.push('quoted text (similar)');
    }
  }
  const sender = m.from[0];
  let exactSender = false;
  if (quoted.from?.address && sender?.address && quoted.from.address === sender.address.toLowerCase()) {
    score += 2;
    exactSender = true;
    evidence.push('attribution sender');
  } else if (quoted.from?.name && sender && nameMatches(quoted.from.name, sender)) {
    score += 1.5;
    evidence.push('attribution sender (name)');
  } else if (quoted.from && sender) {
    // The quote names someone else: this candidate is another message of the thread.
    score -= 2;
  }
  let exactTime = false;
  if (quoted.dateMs && m.date) {
    // Quoted dates are a local wall-clock time without a zone, read as UTC: they differ from the real instant by the
    // zone's offset, which is between UTC-12 and UTC+14. So the difference is signed and bounded: a message of the
    // same sender a day earlier at nearly the same minute (20 h off) is another message, not this one in another zone.
    const offset = quoted.dateMs - m.date;
    if (offset >= -12 * HOUR - 120_000 && offset <= 14 * HOUR + 120_000) {
      const delta = Math.abs(offset);
      exactTime = delta % HOUR < 120_000 || delta % HOUR > HOUR - 120_000;
      score += exactTime ? 1 : 0.5;
      evidence.push(exactTime ? 'attribution date' : 'attribution date (same day)');
    } else score -= 1;
  }
  if (quoted.subject) {
    // The quoted header block names the message's own subject: a candidate of another subject is another message.
    if (baseSubject(quoted.subject) === baseSubject(m.subject)) {
      score += 0.5;
      evidence.push('attribution subject');
    } else score -= 1;
  }
  if (sender && addressedTo(reply, sender)) {
    score += 0.5;
    evidence.push('reply addressed to its sender');
  }
  // Without the quoted words, only the sender and the exact time say it is this message and not another one of
  // the same sender that day (often an older message of the thread, quoted deeper).
  if (!textMatch && !(exactTime && (exactSender || evidence.includes('attribution sender (name)')))) return null;
  if (!textMatch && score < 3) return null;
  if (reply.date !== null && m.date !== null) {
    if (m.date < reply.date - 120 * DAY) return null;
    if (m.date > reply.date + 10 * 60_000) {
      // Clock skew: accepted only when everything else agrees exactly.
      // The sender by address, or by name where the quote gives no address (Outlook's "From: Porter, J").
      const senderAgrees = exactSender || (!quoted.from?.address && evidence.includes('attribution sender (name)'));
      if (!(exactText && senderAgrees && exactTime)) return null;
      evidence.push('dated after the reply (clock skew)');
    }
  }
  return { score, evidence };
}

/**
 * The parent of a reply that quotes nothing and has no usable headers (a phone's short answer): a "Re:" subject, and
 * a stored message of that thread from someone the reply is addressed to, received in the two weeks before it; the
 * latest such message, since a quick answer answers what just came in. Null when there is none, the subject is not
 * a reply's, or the user already wrote to that person in the thread after it came in (`ownBySubject`, the user's own
 * messages by base subject): the reply is then a follow-up to the user's own message and answers nothing stored.
 * Nothing here says a message dated after the reply is its parent (no quote to match, unlike parentByQuote's clock
 * skew), and such a message is most often the answer to the reply, so only messages dated before it are candidates.
 */
export function parentBySubject(
  reply: DatasetMessage,
  bySubject: ReadonlyMap<string, DatasetMessage[]>,
  ownBySubject: ReadonlyMap<string, DatasetMessage[]> = new Map(),
): QuoteMatch | null {
  const subject = (reply.subject ?? '').trim();
  if (stripReplyPrefixes(subject) === subject || reply.date === null) return null;
  const thread = baseSubject(reply.subject);
  let best: DatasetMessage | null = null;
  for (const m of bySubject.get(thread) ?? []) {
    const sender = m.from[0];
    if (m.contentId === reply.contentId || m.date === null || !sender) continue;
    if (m.date > reply.date || m.date < reply.date - 14 * DAY) continue;
    if (!addressedTo(reply, sender)) continue;
    if (!best || m.date > (best.date ?? 0)) best = m;
  }
  const sender = best?.from[0];
  if (!best || !sender) return null;
  const after = best.date ?? 0;
  const answered = (ownBySubject.get(thread) ?? []).some(
    (o) =>
      o.contentId !== reply.contentId &&
      o.date !== null &&
      o.date > after &&
      o.date < (reply.date ?? 0) &&
      addressedTo(o, sender),
  );
  return answered
    ? null
    : { parent: best, evidence: ['subject', 'reply addressed to its sender', 'latest before the reply'] };
}

/**
 * A forward with a note to a third party (RFC 5322 has no header for it, so: a "Fwd:"-style subject or a forwarded
 * block, and the note goes to someone the carried message did not reach). Such mail is a different kind of writing
 * than an answer to the carried message, so it is not paired with it. Two shapes are answers, not forwards: a
 * message forwarded back to the carried message's sender, and a note sent only to people the carried message was
 * already addressed to (its To and Cc as the quoted header block names them): the user answers in that conversation
 * ("FW: Contract" to the colleague who was on the To line, "We need the signed copy first"). `isUser` leaves the user's
 * own addresses out of the recipients compared (a copy to oneself is not a third party).
 */
export function isForwardToThirdParty(
  reply: DatasetMessage,
  quoted: QuotedMessage | null,
  isUser: (p: Person) => boolean = () => false,
): boolean {
  // "RE: FW: …" answers a forward: only a forward prefix that comes first, or a forwarded block that comes before
  // any quote ("RE: …" above Notes' "Forwarded by …" to a colleague), makes the message a forward.
  if (!isForwardSubject(reply.subject) && !quoted?.forwarded) return false;
  const carried = quoted?.from;
  if (!carried) return true;
  if (addressedTo(reply, carried)) return false;
  return !onlyToParticipants(reply, quoted, isUser);
}

/**
 * Every recipient of the reply (the user aside, and at least one left) is among the To/Cc of the quoted message. A
 * quoted block that names no recipients proves nothing, so it is false then.
 */
function onlyToParticipants(reply: DatasetMessage, quoted: QuotedMessage, isUser: (p: Person) => boolean): boolean {
  const participants = [...peopleFromField(quoted.to), ...peopleFromField(quoted.cc)];
  if (participants.length === 0) return false;
  const recipients = [...reply.to, ...reply.cc].filter((r) => !isUser(r));
  if (recipients.length === 0) return false;
  return recipients.every((r) => participants.some((p) => addressedTo({ to: [r], cc: [] }, p)));
}

/**
 * Forward prefixes as clients write them: Fwd/FW (en), WG (de), TR (fr), RV/ENC (es, pt), Doorst (nl), VB (sv),
 * VL (fi), I (it), PD (pl), İLT (tr), 转发/轉寄 (zh), 転送 (ja); with a count ("Fwd[2]:") and a full-width
 * colon. Not VS: Danish and Norwegian forward with it, Finnish replies with it; a forwarded block still counts.
 */
const FORWARD_SUBJECT = /^(?:fwd?|wg|tr|rv|enc|doorst|vb|vl|fs|i|pd|i̇lt|ilt|转发|轉寄|転送)\s*(?:\[\d+\])?\s*[:：]/iu;

/**
 * A forward's subject: a forward prefix first, or the marks of older mailers — Netscape's "[Fwd: subject]" and the
 * "subject (fwd)" of Pine and other Unix mailers.
 */
function isForwardSubject(subject: string | null): boolean {
  const s = (subject ?? '').trim();
  // "Re: notes (fwd)" answers a forward: the trailing mark counts only without a reply prefix before it.
  return (
    FORWARD_SUBJECT.test(s) || /^\[fwd?\s*:/i.test(s) || (/[([]fwd?[)\]]$/i.test(s) && stripReplyPrefixes(s) === s)
  );
}

function words(text: string): Set<string> {
  return new Set(text.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2));
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}
