// The parent of a reply rebuilt from the first message quoted in it, for the common case where the answered mail
// is not in the store (deleted, or filed in a folder that is not synced).
import type { QuotedMessage } from '../mail/quoted-message.js';
import type { Person } from '../model/prompt.js';
import type { DatasetMessage } from './pairing.js';

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

/**
 * The To/Cc field of a quoted header block as people. Outlook separates recipients with ";" and writes names as
 * "Lu, Zimin", so a comma splits only between addresses.
 */
export function peopleFromField(value: string | null): Person[] {
  if (!value?.trim()) return [];
  const parts = value.includes(';')
    ? value.split(';')
    : (value.match(/@/g) ?? []).length > 1
      ? value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
      : [value];
  const out: Person[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    const address = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/.exec(part)?.[0]?.toLowerCase();
    const name = part
      .replace(/<[^>]*>|\[mailto:[^\]]*\]/gi, ' ')
      .replace(/[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/g, ' ')
      .replace(/\/[\w/]*@?\w*$/, '')
      .replace(/["'\s]+/g, ' ')
      .trim();
    if (name || address) out.push({ ...(name ? { name } : {}), ...(address ? { address } : {}) });
  }
  return out;
}

function stripReplyPrefix(subject: string | null): string | null {
  if (!subject) return null;
  return subject.replace(/^(?:\s*(?:re|aw|antw|sv|vs|odp|r|res)\s*(?:\[\d+\])?\s*:\s*)+/i, '').trim() || subject;
}
