// Automatic checks on a built pair, shown by `dataset show --flagged` and counted by `dataset stats` and
// bench:pairing: signs that the parent found may not be the message the reply answers.
import type { QuotedMessage } from '../mail/quoted-message.js';
import type { Person } from '../model/prompt.js';
import type { DatasetMessage, PairedBy } from './pairing.js';
import { addressedTo, normalize } from './people.js';

/**
 * - `parent_not_top_of_quote`: the reply quotes a message, and the parent's text is not that first quoted message
 *   (it may be an older message of the thread, quoted deeper);
 * - `not_addressed_to_parent_sender`: none of the reply's To/Cc is the parent's sender or one of the parent's other
 *   recipients (a reply may go to the thread's other participants; the user is not counted among them);
 * - `parent_dated_after_reply`: accepted on exact attribution and text (a skewed clock), worth a look.
 */
export type PairWarning = 'parent_not_top_of_quote' | 'not_addressed_to_parent_sender' | 'parent_dated_after_reply';

export interface PairCheckInput {
  reply: DatasetMessage;
  parent: DatasetMessage;
  /** The parent's cleaned text. */
  parentText: string;
  quoted: QuotedMessage | null;
  by: PairedBy;
  /** Whether a person is the user (their own addresses and name), left out of the thread's participants. */
  isUser?: (p: Person) => boolean;
}

/** The warnings of one pair, in a stable order; empty when nothing looks wrong. */
export function pairWarnings(input: PairCheckInput): PairWarning[] {
  const out: PairWarning[] = [];
  const { reply, parent, quoted } = input;
  if (input.by !== 'reconstructed' && quoted && quoted.text.trim() && !sameText(quoted.text, input.parentText))
    out.push('parent_not_top_of_quote');
  const sender = parent.from[0];
  if (sender && !addressedTo(reply, sender)) {
    const isUser = input.isUser ?? (() => false);
    const participants = [...parent.to, ...parent.cc].filter((p) => !isUser(p));
    if (!participants.some((p) => addressedTo(reply, p))) out.push('not_addressed_to_parent_sender');
  }
  if (input.by !== 'reconstructed' && reply.date !== null && parent.date !== null && parent.date > reply.date + 600_000)
    out.push('parent_dated_after_reply');
  return out;
}

/** The quoted text and the parent's text are the same message: one's start inside the other, or mostly the same words. */
export function sameText(quoted: string, parent: string): boolean {
  const q = normalize(quoted);
  const p = normalize(parent);
  if (!q || !p) return false;
  if (q.includes(p.slice(0, 120)) || p.includes(q.slice(0, 120))) return true;
  const words = (s: string) =>
    new Set(
      s
        .slice(0, 600)
        .split(/[^\p{L}\p{N}]+/u)
        .filter((w) => w.length > 2),
    );
  const a = words(q);
  const b = words(p);
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return a.size > 0 && b.size > 0 && shared / (a.size + b.size - shared) >= 0.5;
}
