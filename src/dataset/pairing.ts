// Finds the message a reply answers: by In-Reply-To/References in the store, else by the quoted
// original inside the reply (who wrote it, when, and what it said).
import type { Attribution } from '../mail/reply-text.js';
import type { Person } from './prompt.js';
import { baseSubject } from './thread.js';

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

export type PairedBy = 'headers' | 'quote';

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
  attribution: Attribution | null;
  quotedText: string;
  /** Messages that could be the parent (not the user's own), indexed by base subject. */
  bySubject: ReadonlyMap<string, DatasetMessage[]>;
  /** The cleaned text of a candidate (computed on demand, cached by the caller). */
  ownText: (m: DatasetMessage) => string | null;
}

const DAY = 86_400_000;

/**
 * Recovers the parent of a reply without usable headers (old Outlook, Enron-era mail) from its
 * quoted original: same thread subject, sent before the reply, and the quoted words are the
 * candidate's words; the attribution's sender and date break ties. Returns null unless the
 * evidence is clear, because a wrong pair teaches the model a wrong reply.
 */
export function parentByQuote(input: QuoteMatchInput): DatasetMessage | null {
  const { reply } = input;
  const subject = baseSubject(reply.subject);
  const candidates = input.bySubject.get(subject) ?? [];
  const quoted = normalize(input.quotedText);
  if (quoted.length < 3) return null;
  let best: { m: DatasetMessage; score: number } | null = null;
  for (const m of candidates) {
    if (m.contentId === reply.contentId) continue;
    if (
      reply.date !== null &&
      m.date !== null &&
      (m.date > reply.date + 10 * 60_000 || m.date < reply.date - 120 * DAY)
    )
      continue;
    const text = normalize(input.ownText(m) ?? '');
    let score = 0;
    let textMatch = false;
    if (text.length >= 3) {
      const head = text.slice(0, 160);
      if (quoted.includes(head) || head.includes(quoted.slice(0, 160))) {
        score += 3;
        textMatch = true;
      } else if (jaccard(words(quoted.slice(0, 600)), words(text.slice(0, 600))) >= 0.5) {
        score += 2;
        textMatch = true;
      }
    }
    if (input.attribution) score += attributionScore(input.attribution, m);
    if (!textMatch && score < 3) continue;
    if (!best || score > best.score || (score === best.score && (m.date ?? 0) > (best.m.date ?? 0)))
      best = { m, score };
  }
  return best && best.score >= 3 ? best.m : null;
}

function attributionScore(a: Attribution, m: DatasetMessage): number {
  let score = 0;
  const sender = m.from[0];
  if (a.address && sender?.address && a.address.toLowerCase() === sender.address.toLowerCase()) score += 2;
  else if (a.name && sender && nameMatches(a.name, sender)) score += 1.5;
  if (a.dateMs && m.date) {
    const delta = Math.abs(a.dateMs - m.date);
    // Quoted dates are the sender's local time without a zone: a whole number of hours off.
    if (delta <= 26 * 3_600_000) score += delta % 3_600_000 < 120_000 || delta % 3_600_000 > 3_480_000 ? 1 : 0.5;
  }
  return score;
}

/** "Edison, Andrew" matches "Andrew Edison" and andrew.edison@…: every name token is present. */
function nameMatches(name: string, sender: Person): boolean {
  const tokens = name
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 1);
  if (tokens.length === 0) return false;
  const haystack = `${sender.name ?? ''} ${sender.address ?? ''}`.toLowerCase();
  return tokens.every((t) => haystack.includes(t));
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
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
