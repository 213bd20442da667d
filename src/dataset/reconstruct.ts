// The parent of a reply rebuilt from the first message quoted in it, for the common case where the answered mail
// is not in the store (deleted, or filed in a folder that is not synced).
import type { QuotedMessage } from '../mail/quoted-message.js';
import type { DatasetMessage } from './pairing.js';
import { peopleFromField } from './people.js';

/**
 * A DatasetMessage standing for the quoted message. It has no content of its own: `contentId` is the reply's, since
 * the parent's words live inside the reply. `messageId` is null (the quote does not carry it); the date is the
 * quoted one (wall-clock time, zone unknown) or null. Returns null when the quote names no sender or has no text:
 * a parent is reconstructed only when the quote carries it complete.
 */
export function reconstructParent(reply: DatasetMessage, quoted: QuotedMessage): DatasetMessage | null {
  if (!quoted.from || !quoted.text.trim()) return null;
  return {
    contentId: reply.contentId,
    messageId: null,
    inReplyTo: null,
    references: [],
    from: [quoted.from],
    to: peopleFromField(quoted.to),
    cc: peopleFromField(quoted.cc),
    replyTo: [],
    subject: quoted.subject ?? stripReplyPrefix(reply.subject),
    date: quoted.dateMs,
    inSent: false,
  };
}

function stripReplyPrefix(subject: string | null): string | null {
  if (!subject) return null;
  return subject.replace(/^(?:\s*(?:re|aw|antw|sv|vs|odp|r|res)\s*(?:\[\d+\])?\s*:\s*)+/i, '').trim() || subject;
}
