// A plain-text message as the sync engine hands it to the store (insertMessages), for tests and
// benches that fill a store without an IMAP server.
import type { NewMessage } from '../../src/store/messages.js';

/** One text/plain message; `inReplyTo` also becomes its only References entry. */
export function plainTextMessage(m: {
  uid: number;
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  /** ms since the epoch, used as Date: and internal date */
  date: number;
  inReplyTo?: string | null;
}): NewMessage {
  const inReplyTo = m.inReplyTo ?? null;
  return {
    uid: m.uid,
    messageId: m.id,
    inReplyTo,
    references: inReplyTo ? [inReplyTo] : [],
    from: [{ address: m.from }],
    to: [{ address: m.to }],
    cc: [],
    replyTo: [],
    subject: m.subject,
    date: m.date,
    internalDate: m.date,
    flags: ['\\Seen'],
    modseq: '1',
    size: m.text.length,
    listId: null,
    listUnsubscribe: null,
    autoSubmitted: null,
    precedence: null,
    content: {
      dedupeKey: `${m.id}/${m.text.length}`,
      headers: `Message-ID: ${m.id}\r\n`,
      mimeType: 'text/plain',
      bodyText: m.text,
      bodyHtml: null,
      textTruncated: false,
      attachments: [],
    },
  };
}
