// The FIRST message quoted inside a reply (pure): who wrote it, when, its subject, and its own text up to the next
// attribution or header block — the message a reply answers, never an older one quoted deeper.

import { isForwardSubject, isTrivialNote } from './classify.js';
import { parseAttributionLine, parseHeaderFields, parseLooseDate } from './quote-attribution.js';
import { htmlToQuotedText } from './quote-html.js';
import {
  cleanLine,
  type HeaderLine,
  headerLine,
  isAttribution,
  isForwardLine,
  isOriginalMessageLine,
  isQuotedLine,
  mayBeAttributionLine,
  trimChars,
  unquoteOnce,
} from './quote-patterns.js';
import { type QuotedPart, quotedPartFrom, scanReply } from './reply-scan.js';
import { type Attribution, capLines, MAX_TEXT_CHARS, replyText, withLeadingAttribution } from './reply-text.js';
import { subjectContinuation } from './subject-wrap.js';

/** The first quoted message of a reply, as far as its attribution line or header block tells. */
export interface QuotedMessage {
  /** Its sender: name and/or address (lower-cased); either may be missing ("Lu, Zimin" has no address). */
  from: { name?: string; address?: string } | null;
  /** Its date as written ("Wednesday, October 24, 2001 5:08 AM"), or null. */
  date: string | null;
  /**
   * That date in ms since the epoch, read as UTC wall-clock time: quoted dates carry no zone, so it may be off by a
   * whole number of hours (up to ±26 h) from the message's real Date header.
   */
  dateMs: number | null;
  /** The Subject field of a quoted header block, or null (attribution lines carry none). */
  subject: string | null;
  /** The To and Cc fields of a header block as written (names or addresses), or null. */
  to: string | null;
  cc: string | null;
  /** How the message was introduced: an Outlook/Notes/… header block, an "On … wrote:" line, or nothing. */
  introducedBy: 'header' | 'attribution' | 'none';
  /**
   * True when it is carried as a forwarded message ("---------- Forwarded message ---------", Notes' "Forwarded
   * by …"): a forward separator comes before any other quote; a forward quoted deeper does not count.
   */
  forwarded: boolean;
  /**
   * Its own text: up to the next attribution or header block, its own quotes and signature removed (the cleaning
   * of a stored message's text); for a forward without a note, the text of the message it carries.
   */
  text: string;
}

/**
 * Parses the first quoted message of a reply body (text/plain preferred, else the HTML with its quote containers),
 * or returns null when the body quotes nothing. Never throws on odd input (it returns what it could read).
 * The Lotus Notes shapes that the scanner reads as an anonymous header block ("Ann <a@b> on 05/07/2001 02:25 AM"
 * above "To:/cc:/Subject:", or the name line above a date line) are read here for the sender and date.
 */
export function quotedMessage(body: { text?: string | null; html?: string | null }): QuotedMessage | null {
  const lines = sourceLines(body);
  // Markers and trusted `>` lines come only from the HTML conversion, as in replyText().
  const fromHtml = !body.text?.trim();
  const scan = scanReply(lines, { trustMarkers: fromHtml, markers: fromHtml });
  // A forwarded section is cut from the author's text without being a quote: its header block is read here.
  const forwardAt = lines.findIndex((l) => !isQuotedLine(l) && isForwardLine(l));
  const first = scan.firstQuote ?? (forwardAt >= 0 ? quotedPartFrom(lines.slice(forwardAt + 1)) : null);
  if (!first) return null;
  const part = withLeadingAttribution(first);
  let attribution: Attribution = part.header
    ? parseHeaderFields(part.header)
    : part.attribution
      ? parseAttributionLine(part.attribution)
      : {};
  const field = (name: HeaderLine['field']) => {
    const f = part.header?.find((h) => h.field === name);
    return f ? trimChars(cleanLine(f.value), ' \t') || null : null;
  };
  let fields = { subject: field('subject'), to: field('to'), cc: field('cc') };
  let textLines = part.lines;
  // Lotus Notes: read the block here when the scanner found no sender in it or took it for something else (its
  // text then holds the Notes date line).
  const notes = notesBlock(lines);
  const scanned = `${part.attribution ?? ''} ${(part.header ?? []).map((h) => h.value).join(' ')}`;
  if (notes && (!(attribution.name || attribution.address) || scanned.includes(notes.sender.date ?? '\u0000'))) {
    attribution = notes.sender;
    fields = notes.fields;
    textLines = notes.body;
  }
  const introducedBy =
    textLines === part.lines ? (part.header ? 'header' : part.attribution ? 'attribution' : 'none') : 'header';
  const from =
    attribution.name || attribution.address
      ? {
          ...(attribution.name ? { name: notesName(attribution.name) } : {}),
          ...(attribution.address ? { address: attribution.address.toLowerCase() } : {}),
        }
      : null;
  return {
    from,
    date: attribution.date ?? null,
    dateMs: attribution.dateMs ?? null,
    ...fields,
    introducedBy,
    forwarded: forwardAt >= 0 && forwardAt <= quoteStart(lines),
    text: ownText(textLines, fields.subject),
  };
}

/** How many forwards deep the carried message is looked for ("FW: FW: FW: …" chains of empty blocks). */
const MAX_FORWARD_DEPTH = 8;

/**
 * The quoted text is itself a message: cleaning it like one cuts it at its own quote or header block. A forward
 * says what it carries: with no note, or a trivial one ("FYI") on a message marked as a forward (its subject, or a
 * forward separator), its text is the note followed by the carried message's own text — the first non-empty one
 * down a chain of forwards, each cleaned the same way. Lines that are only header fields ("Subject: Sad news" left
 * from a carried header) are no note.
 */
function ownText(lines: readonly string[], subject: string | null): string {
  const own = noteText(lines);
  const forward = isForwardSubject(subject) || lines.some((l) => !isQuotedLine(l) && isForwardLine(l));
  if (own && !(forward && isTrivialNote(own))) return own;
  const carried = carriedText(lines);
  if (!carried) return own;
  return own ? `${own}\n\n${carried}` : carried;
}

/** A message's own text as replyText() cleans it, or '' when it holds only header lines. */
function noteText(lines: readonly string[]): string {
  const own = replyText({ text: lines.join('\n') }).text;
  return own.split('\n').every((l) => !l.trim() || headerLine(l) !== null) ? '' : own;
}

/** The own text of the first message quoted in `lines` that has one, going down at most MAX_FORWARD_DEPTH levels. */
function carriedText(lines: readonly string[]): string {
  let current = lines;
  for (let depth = 0; depth < MAX_FORWARD_DEPTH; depth++) {
    const inner = firstCarried(current);
    if (!inner) return '';
    current = withLeadingAttribution(inner).lines;
    const text = noteText(current);
    if (text) return text;
  }
  return '';
}

/**
 * The first message inside `lines`: a quote, or a forwarded section ("---------- Forwarded message ---------",
 * "Begin forwarded message:"), which the scanner cuts from the author's text without reading it as a quote.
 */
function firstCarried(lines: readonly string[]): QuotedPart | null {
  const scan = scanReply(lines, { trustMarkers: false, markers: false });
  if (scan.firstQuote) return scan.firstQuote;
  const forwardAt = lines.findIndex((l) => !isQuotedLine(l) && isForwardLine(l));
  return forwardAt >= 0 ? quotedPartFrom(lines.slice(forwardAt + 1)) : null;
}

/** Index of the first line that opens a quote: `>` text, "-----Original Message-----", a From: header line, an attribution. */
function quoteStart(lines: readonly string[]): number {
  const i = lines.findIndex(
    (l, k) =>
      isQuotedLine(l) ||
      isOriginalMessageLine(l) ||
      headerLine(l)?.field === 'from' ||
      (mayBeAttributionLine(l) && isAttribution(l, isQuotedLine(lines[k + 1] ?? ''))),
  );
  return i < 0 ? lines.length : i;
}

/** The lines the reply scanner reads, exactly as replyText() reads them (text/plain first, then the HTML). */
function sourceLines(body: { text?: string | null; html?: string | null }): string[] {
  const text = body.text?.trim() ? (body.text ?? '') : body.html?.trim() ? htmlToQuotedText(body.html ?? '') : '';
  const capped = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
  return capLines(capped.replace(/\r\n?/g, '\n').split('\n'));
}

const EMAIL = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/;
const NOTES_DATE = /(\d{1,2}\/\d{1,2}\/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?)\s*$/i;
const HEADER_FIELD_LINE = /^\s*(?:to|cc|subject)\s*:/i;

/**
 * Lotus Notes introduces a quoted message with its sender and date above To/cc/Subject lines, in two shapes:
 * `"Ann Lee" <ann@x.com> on 05/07/2001 02:25:53 AM` on one line, or `Ann Lee@ECT` above `05/07/2001 02:25 AM`.
 * Only the first such block of the body is read (the first quoted message's); its sender line must be followed by
 * a To/cc/Subject line within three lines, so a sentence that happens to end with a date is not taken for it.
 */
function notesBlock(
  lines: readonly string[],
): { sender: Attribution; fields: Pick<QuotedMessage, 'subject' | 'to' | 'cc'>; body: string[] } | null {
  const bare = (i: number) => cleanLine(lines[i] ?? '').replace(/^[\s>]+/, '');
  for (let i = 0; i < lines.length; i++) {
    const line = bare(i);
    if (line.length > 200) continue;
    const next = [1, 2, 3].find((k) => HEADER_FIELD_LINE.test(bare(i + k)));
    if (next === undefined) continue;
    const date = NOTES_DATE.exec(line);
    if (!date) continue;
    const oneLine = /^(.+?)\s+on\s+/i.exec(line);
    const previous = bare(i - 1).trim();
    let sender: Attribution | null = null;
    if (oneLine) sender = readSender(oneLine[1] ?? '', date[1] ?? '');
    else if (date.index === line.search(/\S/) && previous && previous.length <= 100)
      sender = readSender(previous, date[1] ?? '');
    if (!sender) continue;
    // The To/cc/Subject lines (a value may wrap onto the next line), then the text.
    const fields: Pick<QuotedMessage, 'subject' | 'to' | 'cc'> = { subject: null, to: null, cc: null };
    let j = i + 1;
    let last: keyof typeof fields | null = null;
    for (; j < lines.length && j <= i + 12; j++) {
      const l = bare(j);
      const m = /^(to|cc|bcc|subject)\s*:\s*(.*)$/i.exec(l);
      if (m) {
        const key = (m[1] ?? '').toLowerCase();
        last = key === 'bcc' ? null : (key as keyof typeof fields);
        if (last) fields[last] = trimChars((m[2] ?? '').trim(), ' \t') || null;
        if (key === 'subject') {
          // A long subject wraps onto the next line or two: they belong to it, not to the text.
          const wrapped = subjectContinuation([l, bare(j + 1), bare(j + 2), bare(j + 3)], 1);
          if (wrapped.length) fields.subject = [fields.subject ?? '', ...wrapped].join(' ').trim();
          j += wrapped.length;
        }
      } else if (l.trim() === '') {
        if (fields.subject !== null || last === 'subject') break;
      } else if (last && last !== 'subject' && fields.subject === null) {
        fields[last] = `${fields[last] ?? ''} ${l.trim()}`.trim();
      } else break;
    }
    const rest = lines.slice(j);
    const quoted = rest.filter((l) => l.trim()).every((l) => l.trimStart().startsWith('>'));
    return { sender, fields, body: quoted ? rest.map(unquoteOnce) : rest };
  }
  return null;
}

function readSender(who: string, date: string): Attribution {
  const address = EMAIL.exec(who)?.[0]?.toLowerCase();
  const name = trimChars(
    who
      .replace(/<[^>]*>/g, ' ')
      .replace(EMAIL, ' ')
      .replace(/\s+/g, ' '),
    ' "\'',
  );
  return {
    ...(name ? { name: notesName(name) } : {}),
    ...(address ? { address } : {}),
    date: date.trim(),
    dateMs: parseLooseDate(date),
  };
}

/**
 * Notes names carry their directory path: "Phillip K Allen/HOU/ECT@ECT" → "Phillip K Allen". Outlook writes a
 * delegate's message as "Whitt, Mark On Behalf Of Mark Whitt": the message is the principal's, named last.
 */
function notesName(name: string): string {
  const principal = /\s+on behalf of\s+(.+)$/i.exec(name)?.[1] ?? name;
  return principal.replace(/\s*[/@][\w/ .&-]*$/, '').trim() || principal;
}
