// Composes a draft reply as an RFC 5322 message with nodemailer's MailComposer. Composing only:
// Understudy has no transport and never sends mail.
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DRAFT_HEADER } from '../imap/drafts.js';
import { replySubject } from '../mail/subject.js';

export { replySubject } from '../mail/subject.js';
export { isOwnAddress, replyRecipients } from './recipients.js';

export interface Mailbox {
  name?: string;
  address?: string;
}

export interface ComposeInput {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  parent: {
    messageId: string | null;
    references: string[];
    subject: string | null;
    date: number | null;
    from: Mailbox[];
    /** The text of the message answered, for the quoted original. */
    text: string;
    language: string | null;
  };
  /** The reply the model wrote. */
  body: string;
  signature?: string | undefined;
  quoteOriginal: boolean;
  draftKey: string;
  messageId: string;
  date?: Date;
}

/** A fresh Message-ID in the user's own domain, so clients thread and display it naturally. */
export function newMessageId(fromAddress: string | undefined): string {
  const domain = fromAddress?.split('@')[1] ?? 'understudy.invalid';
  return `<understudy.${randomUUID()}@${domain}>`;
}

const ATTRIBUTION: Record<string, (date: string, who: string) => string> = {
  en: (d, w) => `On ${d}, ${w} wrote:`,
  nl: (d, w) => `Op ${d} schreef ${w}:`,
  de: (d, w) => `Am ${d} schrieb ${w}:`,
  fr: (d, w) => `Le ${d}, ${w} a écrit :`,
  es: (d, w) => `El ${d}, ${w} escribió:`,
};

const LOCALE: Record<string, string> = { en: 'en-GB', nl: 'nl-NL', de: 'de-DE', fr: 'fr-FR', es: 'es-ES' };

/** "On 3 Jan 2023, 10:12, Ann <ann@example.com> wrote:" in the message's language. */
export function attributionLine(parent: ComposeInput['parent']): string {
  const lang = parent.language && ATTRIBUTION[parent.language] ? parent.language : 'en';
  const sender = parent.from[0];
  const who = sender
    ? sender.name && sender.address
      ? `${sender.name} <${sender.address}>`
      : (sender.name ?? sender.address ?? '')
    : '';
  const date = parent.date
    ? new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
        new Date(parent.date),
      )
    : '';
  return (ATTRIBUTION[lang] as (d: string, w: string) => string)(date, who);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function paragraphsHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

/** A msg-id as the draft may carry it: `<…>`, nothing inside that would break the header. */
const WELL_FORMED_ID = /^<[^<>\s()"\\,;]+>$/;

/**
 * References of the reply (RFC 5322 §3.6.4): the parent's References, then the parent's own
 * Message-ID, last. Ids that are not well-formed (the stored ids are already normalised, this is
 * a last guard) and repeats are left out, so one broken ancestor never spoils the header; of a
 * very long chain the root and the newest MAX_REFERENCES - 1 are kept.
 */
export function threadReferences(references: readonly string[], parentId: string | null): string[] {
  const out: string[] = [];
  for (const id of [...references, ...(parentId ? [parentId] : [])]) {
    if (!WELL_FORMED_ID.test(id)) continue;
    const at = out.indexOf(id);
    if (at >= 0) out.splice(at, 1);
    out.push(id);
  }
  // A thread of hundreds of messages would make References a header of many kilobytes; keep the
  // root and the newest ancestors, as Thunderbird and mutt do (RFC 5322 §3.6.4 allows trimming).
  return out.length > MAX_REFERENCES ? [out[0] as string, ...out.slice(-(MAX_REFERENCES - 1))] : out;
}

/** Most ids a draft's References carries. */
const MAX_REFERENCES = 40;

/**
 * The draft as raw RFC 5322 bytes with CRLF line ends: From/To/Cc as given (see
 * replyRecipients), "Re:" subject, In-Reply-To and References for threading, our
 * X-Understudy-Draft key, a text and an HTML alternative, the original quoted when asked.
 */
export async function composeDraft(input: ComposeInput): Promise<Buffer> {
  const body = input.body.trim();
  const signature = input.signature?.trim();
  const parts = [body];
  if (signature) parts.push(`-- \n${signature}`);
  let text = parts.join('\n\n');
  let html = `<div dir="auto">${paragraphsHtml(body)}</div>`;
  if (signature) html += `\n<div class="signature">-- <br>${escapeHtml(signature).replace(/\n/g, '<br>')}</div>`;
  if (input.quoteOriginal && input.parent.text.trim()) {
    const attribution = attributionLine(input.parent);
    const quoted = input.parent.text
      .trim()
      .split('\n')
      .map((l) => (l ? `> ${l}` : '>'))
      .join('\n');
    text += `\n\n${attribution}\n${quoted}\n`;
    html += `\n<div class="gmail_quote"><div>${escapeHtml(attribution)}</div><blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${paragraphsHtml(input.parent.text.trim())}</blockquote></div>`;
  }
  const references = threadReferences(input.parent.references, input.parent.messageId);
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    ...(input.cc.length ? { cc: input.cc } : {}),
    subject: replySubject(input.parent.subject),
    messageId: input.messageId,
    date: input.date ?? new Date(),
    ...(input.parent.messageId ? { inReplyTo: input.parent.messageId } : {}),
    ...(references.length ? { references } : {}),
    text,
    html: `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${html}</body></html>`,
    headers: { [DRAFT_HEADER]: input.draftKey },
  } as ConstructorParameters<typeof MailComposer>[0]);
  const built = await composer.compile().build();
  // IMAP stores CRLF line ends (RFC 3501 §2.3.3); normalising here makes RFC822.SIZE on the
  // server equal the journal's copy, which is how an untouched draft of ours is recognised.
  return Buffer.from(built.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
