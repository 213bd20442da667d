// One pass over the lines of a plain-text body: what the author wrote, and where quoted or forwarded text begins.
import {
  attributionStartInLine,
  cleanLine,
  groupWiseAttribution,
  type HeaderLine,
  headerLine,
  isAttribution,
  isBlank,
  isDeviceFooter,
  isForwardLine,
  isListFooterStart,
  isOriginalMessageLine,
  isQuotedLine,
  isRuleLine,
  isWrappedPhrase,
  MAX_PATTERN_LINE,
  mayBeAttributionLine,
  mayStartAttribution,
  notesSenderLine,
  type SenderDate,
  startsAttribution,
  trimChars,
  unquoteOnce,
} from './quote-patterns.js';
import { subjectContinuation } from './subject-wrap.js';

/** Marker line (private use) that quote-aware HTML conversion writes where a client's quoted part begins. */
export const QUOTE_START_MARK = '\uE000';
/** Marker line written before a client's signature container (Gmail, Outlook, Thunderbird, Apple Mail). */
export const SIGNATURE_MARK = '\uE001';

export interface ScanOptions {
  /** `>` lines came from HTML quote containers, so even a single one is a quote (not a typed `>>> link <<<`). */
  trustMarkers: boolean;
  /** Honour QUOTE_START_MARK / SIGNATURE_MARK lines (only HTML conversion writes them). */
  markers: boolean;
}

/** The first quoted message found: how it was introduced and its text (one level of `>` removed). */
export interface QuotedPart {
  attribution: string | null;
  header: HeaderLine[] | null;
  lines: string[];
}

export interface Scan {
  /** The author's lines, in order, with quotes, attributions, header blocks and everything after a cut removed. */
  authored: string[];
  quoted: boolean;
  forwarded: boolean;
  /** A device footer ("Sent from my iPhone") that ended the authored text; not part of `authored`. */
  footer: string | null;
  firstQuote: QuotedPart | null;
}

interface HeaderBlock {
  end: number;
  fields: HeaderLine[];
}

interface AttributionMatch {
  /** Index of the last line of the attribution. */
  end: number;
  text: string;
  /** Reply text sharing the first line with the attribution ("reply On Wed, … wrote:"), or ''. */
  prefix: string;
}

const RULE_CHARS = ' \t-_=*~—–';

export function scanReply(lines: readonly string[], options: ScanOptions): Scan {
  const n = lines.length;
  const authored: string[] = [];
  let quoted = false;
  let forwarded = false;
  let footer: string | null = null;
  let firstQuote: QuotedPart | null = null;
  let sawAttribution = false;
  let pendingAttribution: string | null = null;

  const nextNonBlank = (from: number): number => {
    let j = from;
    while (j < n && isBlank(lines[j] ?? '')) j++;
    return j;
  };
  const nextIsQuoted = (from: number): boolean => {
    const k = nextNonBlank(from);
    return k < n && (isQuotedLine(lines[k] ?? '') || isPipeQuotedLine(lines[k] ?? ''));
  };
  const rest = (from: number): string[] => lines.slice(from);
  const headerAt = headerCache(lines);

  let i = 0;
  while (i < n) {
    const line = lines[i] ?? '';
    if (isBlank(line)) {
      authored.push('');
      i++;
      continue;
    }
    if (options.markers && line === QUOTE_START_MARK) {
      if (nextNonBlank(i + 1) < n) {
        quoted = true;
        firstQuote ??= quotedPartFrom(rest(i + 1));
      }
      break;
    }
    if (options.markers && line === SIGNATURE_MARK) {
      authored.push(line);
      i++;
      continue;
    }

    // GroupWise's ">>> Ann <a@b> 10/03/01 02:56PM >>>" looks like a `>` line but introduces the unmarked text below.
    const groupWise = line.startsWith('>>>') ? groupWiseAttribution(line) : null;
    if (groupWise) {
      quoted = true;
      firstQuote ??= { attribution: null, header: senderFields(groupWise), lines: unmarked(rest(i + 1)) };
      break;
    }
    if (isQuotedLine(line)) {
      const end = quoteBlockEnd(lines, i);
      let count = 0;
      for (let j = i; j < end; j++) if (isQuotedLine(lines[j] ?? '')) count++;
      const atEnd = nextNonBlank(end) >= n;
      // A single typed `>` line inside prose (">>> http://… <<<") is not a quote; a block of them, one introduced by
      // an attribution, one at the very end, or one that came from an HTML quote container is.
      if (options.trustMarkers || sawAttribution || count >= 2 || atEnd) {
        const inner = lines.slice(i, end).map(unquoteOnce);
        const firstInner = inner.find((l) => !isBlank(l)) ?? '';
        if (!sawAttribution && isForwardLine(firstInner)) {
          // Gmail wraps a forwarded message in the same container as a quote.
          forwarded = true;
        } else {
          quoted = true;
          firstQuote ??= { attribution: pendingAttribution, header: null, lines: inner };
        }
        pendingAttribution = null;
        i = nextNonBlank(end);
        continue;
      }
      for (let j = i; j < end; j++) authored.push(lines[j] ?? '');
      i = end;
      continue;
    }

    // Header lines may be long (a To: with forty recipients), so this check comes before the length guard.
    const block = headerBlock(lines, i, headerAt);
    if (block) {
      // Even at the very top: a body that opens with a header block is a quoted or forwarded message with nothing
      // written above it (an Outlook reply sent without text), never the author's own words.
      quoted = true;
      // Lotus Notes puts who and when above "To:"; they become the block's From and Date fields.
      const sender = block.fields[0]?.field === 'to' ? dropLotusSenderLines(authored) : [];
      dropSeparatorLine(authored);
      firstQuote ??= { attribution: null, header: [...sender, ...block.fields], lines: rest(block.end) };
      break;
    }
    const notes = notesSenderLine(line);
    if (notes) {
      // Notes' "Ann <a@b> on 09/27/2001 08:34:00 PM", then To:/cc:/Subject: lines or the text: a quoted message. The
      // sender's name line above it and letterhead lines go with it, as for the block found at "To:".
      authored.push(line);
      const sender = dropLotusSenderLines(authored);
      const after = notesFieldsAfter(lines, i + 1, headerAt);
      quoted = true;
      dropSeparatorLine(authored);
      firstQuote ??= {
        attribution: null,
        header: [...(sender.length ? sender : senderFields(notes)), ...after.fields],
        lines: unmarked(rest(after.end)),
      };
      break;
    }
    if (line.length <= MAX_PATTERN_LINE) {
      if (isForwardLine(line)) {
        forwarded = true;
        break;
      }
      if (isOriginalMessageLine(line)) {
        quoted = true;
        firstQuote ??= quotedPartFrom(rest(i + 1));
        break;
      }
      const attribution = matchAttribution(lines, i, nextIsQuoted);
      if (attribution) {
        sawAttribution = true;
        if (attribution.prefix) authored.push(attribution.prefix);
        const k = nextNonBlank(attribution.end + 1);
        if (k < n && isQuotedLine(lines[k] ?? '')) {
          pendingAttribution = attribution.text;
          i = nextNonBlank(attribution.end + 1);
          continue;
        }
        // Attribution followed by unmarked or `|`-quoted text (Outlook-style top posting): all of it is the earlier
        // message.
        quoted = true;
        firstQuote ??= { attribution: attribution.text, header: null, lines: unpipe(rest(attribution.end + 1)) };
        break;
      }
      if (isDeviceFooter(line)) {
        // Mobile clients put the footer under what the author typed; anything below it is the quoted message.
        footer = line;
        if (nextNonBlank(i + 1) < n) {
          quoted = true;
          firstQuote ??= quotedPartFrom(rest(i + 1));
        }
        break;
      }
      if (isListFooterStart(lines, i)) break;
    }

    authored.push(line);
    i++;
  }
  return { authored, quoted, forwarded, footer, firstQuote };
}

/**
 * End (exclusive) of the `>` block starting at `start`: quoted lines, blank lines between them, and up to three
 * unmarked lines squeezed between quoted lines when they continue a wrapped quoted line (clients that re-wrap
 * after quoting leave such lines without a marker).
 */
function quoteBlockEnd(lines: readonly string[], start: number): number {
  const n = lines.length;
  let j = start;
  let lastQuoted = start;
  while (j < n) {
    const line = lines[j] ?? '';
    if (isQuotedLine(line)) {
      lastQuoted = j;
      j++;
      continue;
    }
    if (isBlank(line)) {
      let k = j;
      while (k < n && isBlank(lines[k] ?? '')) k++;
      if (k < n && isQuotedLine(lines[k] ?? '')) {
        j = k;
        continue;
      }
      break;
    }
    if (j === lastQuoted + 1 && isLazyContinuation(lines[lastQuoted] ?? '', line)) {
      let k = j;
      while (k < n && k < j + 3 && !isBlank(lines[k] ?? '') && !isQuotedLine(lines[k] ?? '')) k++;
      if (k < n && isQuotedLine(lines[k] ?? '')) {
        j = k;
        continue;
      }
    }
    break;
  }
  return lastQuoted + 1;
}

/** A wrapped quoted line whose tail lost its marker: the quoted line was long, or the tail does not start a sentence. */
function isLazyContinuation(quotedLine: string, line: string): boolean {
  const t = cleanLine(line).trimStart();
  return unquoteOnce(quotedLine).length >= 60 || !/^\p{Lu}/u.test(t);
}

type HeaderAt = (j: number) => HeaderLine | null;

/** headerLine per line index, computed once: a run of "From:" lines must not be re-read from every start. */
function headerCache(lines: readonly string[]): HeaderAt {
  const cache: (HeaderLine | null | undefined)[] = new Array(lines.length);
  return (j) => {
    let h = cache[j];
    if (h === undefined) {
      h = headerLine(lines[j] ?? '');
      cache[j] = h;
    }
    return h;
  };
}

/**
 * A header block ("From: … Sent: … To: … Subject: …", localised) starting at line `i`, or null. `underSeparator`: the
 * block sits right under a separator line ("-------- Original Message --------"), so "Subject: … From: …" alone is
 * one too.
 */
function headerBlock(
  lines: readonly string[],
  i: number,
  headerAt: HeaderAt = headerCache(lines),
  underSeparator = false,
): HeaderBlock | null {
  const cached = headerAt(i);
  const first = cached ? { ...cached } : null;
  if (!first || (first.field !== 'from' && first.field !== 'date' && first.field !== 'to' && first.field !== 'subject'))
    return null;
  const n = lines.length;
  const groups = new Set<string>([first.field]);
  if (first.inlineField && first.inlineField !== 'other') groups.add(first.inlineField);
  const fields: HeaderLine[] = [first];
  let end = i + 1;
  // Wrapped values ("From: Ann [mailto:\n ann@example.com]") continue the previous field; they count only when
  // another header line follows, otherwise they are the first lines of the quoted body.
  let pending: string[] = [];
  let blanks = 0;
  for (let j = i + 1; j < n && j < i + 80; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) {
      if (++blanks > 1) break;
      if (pending.length > 0) {
        // Lotus Notes: "cc: … Rick\nBuy/HOU/ECT@ECT, …\n\nSubject: …": wrapped addresses, a blank, the next field.
        const next = headerAt(j + 1);
        const last = fields[fields.length - 1];
        if (!next || next.field === 'other' || groups.has(next.field) || !last || !/@|,/.test(pending.join(' '))) break;
        last.value = [last.value, ...pending].join(' ');
        pending = [];
      }
      continue;
    }
    const cachedLine = headerAt(j);
    // A field never repeats within one header block; a run of "From:" lines is something else.
    if (cachedLine && cachedLine.field !== 'other' && groups.has(cachedLine.field)) break;
    const h = cachedLine ? { ...cachedLine } : null;
    if (h) {
      const last = fields[fields.length - 1];
      if (last && pending.length > 0) last.value = [last.value, ...pending].join(' ');
      if (h.field !== 'other') groups.add(h.field);
      fields.push(h);
      end = j + 1;
      pending = [];
      blanks = 0;
      continue;
    }
    // Two wrapped lines at most, except address lists (Lotus Notes wraps a To: of forty people over many lines).
    if (blanks > 0 || (pending.length >= 2 && !/@|,/.test(line))) break;
    pending.push(cleanLine(line).trim());
  }
  const valid =
    first.field === 'from'
      ? groups.size >= 2
      : first.field === 'date'
        ? groups.size >= 2 && (groups.has('to') || groups.has('from'))
        : first.field === 'subject'
          ? // Netscape/Thunderbird: "Subject: … Date: … From: … To: …" — a From and one more field make it a block.
            groups.has('from') && (underSeparator || groups.has('date') || groups.has('to'))
          : groups.has('cc') && groups.has('subject'); // Lotus Notes: "To: … cc: … Subject: …"
  if (!valid) return null;
  const last = fields[fields.length - 1];
  if (last?.field === 'subject') {
    const wrapped = subjectContinuation(lines, end);
    if (wrapped.length) {
      last.value = [last.value, ...wrapped].join(' ');
      end += wrapped.length;
    }
  }
  return { end, fields };
}

/**
 * Lotus Notes writes the quoted sender and date above "To: … cc: … Subject: …", in several shapes:
 *   "Anjam Ahmad" / "04/28/2000 05:47 AM"                (name line above the date line)
 *   "From:  Ted Murphy" / "10/29/2000 10:23 AM"          (From: with the date on the next line)
 *   "\tEnron Europe" / "\tFrom:  Kirstee Hewitt   03/08/2000 16:29"   (indented letterhead, date on the From: line)
 *   "\"Ann\" <a@b> on 02/27/2000 03:07:13 PM" / "Please respond to a@b"
 * and the name/date pair may repeat. Removes those lines from the end of what was kept. The anchor is a line that
 * ends in a full date and time (European "15/05/2000 17:14" too); a line of the author's that merely mentions a time
 * ("I'm going at 6:30 PM, maybe after.") is no anchor, so a one-line reply with a time in it stays.
 */
function dropLotusSenderLines(authored: string[]): HeaderLine[] {
  const last = (): number => {
    let k = authored.length - 1;
    while (k >= 0 && isBlank(authored[k] ?? '')) k--;
    return k;
  };
  let removed = false;
  let from: string | null = null;
  let date: string | null = null;
  for (let round = 0; round < 3; round++) {
    let k = last();
    // "Please respond to ann@x" and "Sent by: Ann" sit between the sender/date lines and "To:".
    for (let extra = 0; extra < 2 && k >= 0; extra++) {
      if (!/^(?:please respond to\s|sent by\s*:)/i.test(cleanLine(authored[k] ?? '').trim())) break;
      authored.length = k;
      k = last();
    }
    const dateLine = cleanLine(authored[k] ?? '').trim();
    const at = k >= 0 ? NOTES_DATE_END.exec(dateLine) : null;
    if (k < 0 || at === null || !isNotesDateLine(dateLine)) break;
    authored.length = k;
    removed = true;
    // The nearest (last) pair is the quoted message's own sender and date.
    date ??= at[0].trim();
    const who = dateLine
      .slice(0, at.index)
      .replace(/^from\s*:\s*/i, '')
      .replace(/\s+on$/i, '')
      .trim();
    if (who) from ??= who;
    // The sender's name, or "From:  Name", directly above the date line (no blank line between).
    const above = cleanLine(authored[k - 1] ?? '').trim();
    if (k > 0 && (isNotesName(above) || (/^from\s*:/i.test(above) && above.length <= 120))) {
      authored.length = k - 1;
      from ??= above.replace(/^from\s*:\s*/i, '').trim();
    }
  }
  if (!removed) return [];
  // Letterhead: indented short lines above the block ("\tEnron Capital & Trade Resources Corp. - Europe").
  for (let k = last(), count = 0; k >= 0 && count < 4; k = last(), count++) {
    const line = authored[k] ?? '';
    if (!/^(?:\t| {2,})\S/.test(line) || line.trim().length > 80 || /[.!?]$/.test(line.trim())) break;
    authored.length = k;
  }
  const fields: HeaderLine[] = [];
  if (from) fields.push({ field: 'from', value: from, inlineField: null });
  if (date) fields.push({ field: 'date', value: date, inlineField: null });
  return fields;
}

/** Date and time as Lotus Notes writes them at the end of its sender line: "10/29/2000 10:23 AM", "15/05/2000 17:14". */
const NOTES_DATE_END =
  /(?:^|\s)\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,5})?$/;

/** A Notes sender/date line: only a date and time, or a sender ("From: Ann", "\"Ann\" <a@b> on") followed by them. */
function isNotesDateLine(raw: string): boolean {
  const t = cleanLine(raw).trim();
  if (t.length > 160) return false;
  const m = NOTES_DATE_END.exec(t);
  if (!m) return false;
  const before = t.slice(0, m.index).trim();
  if (before === '') return true;
  const who = before.replace(/^from\s*:\s*/i, '').replace(/\s+on$/i, '');
  // What precedes the date is a name or an address, never a sentence.
  return /^from\s*:/i.test(before) || /@/.test(who) || isNotesName(who);
}

/** A sender's name as Notes writes it: capitalised words, maybe a Notes address ("Vince J Kaminski/HOU/ECT@ECT"). */
function isNotesName(t: string): boolean {
  if (t.length === 0 || t.length > 60) return false;
  const name = t.replace(/^"|"$/g, '').replace(/(?:\/[\w-]+)*(?:@[\w-]+)?$/, '');
  return (
    /^\p{Lu}[\p{L}.'’-]*(?:,?\s+(?:\p{Lu}[\p{L}.'’-]*|van|von|de|der|den|la|le|du|da|di|del|dos|ten|ter))*$/u.test(
      name,
    ) && name.split(/\s+/).length <= 5
  );
}

/** The From and Date fields of a sender-and-date line (Notes, GroupWise), for parseHeaderFields(). */
function senderFields(s: SenderDate): HeaderLine[] {
  const fields: HeaderLine[] = [];
  if (s.who) fields.push({ field: 'from', value: s.who, inlineField: null });
  fields.push({ field: 'date', value: s.date, inlineField: null });
  return fields;
}

/** Lines with one level of `>` removed when every non-blank line has it (the quote is marked), else unchanged. */
function unmarked(lines: string[]): string[] {
  const marked = lines.filter((l) => !isBlank(l));
  return marked.length > 0 && marked.every(isQuotedLine) ? lines.map(unquoteOnce) : lines;
}

/**
 * The To:/cc:/Subject: lines Lotus Notes writes under its sender line, from line `start`: "Please respond to" and
 * "Sent by:" lines, up to four blank (or space-padded) lines between fields, and addresses wrapped onto indented
 * lines are part of it; the block ends after Subject:. Returns the fields and the index of the first line after
 * them (`start` and no fields when no such lines follow: the text comes right after the sender line).
 */
function notesFieldsAfter(
  lines: readonly string[],
  start: number,
  headerAt: HeaderAt,
): { end: number; fields: HeaderLine[] } {
  const fields: HeaderLine[] = [];
  let end = start;
  let blanks = 0;
  for (let j = start; j < lines.length && j < start + 120; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) {
      if (++blanks > 4) break;
      continue;
    }
    const t = cleanLine(line).trim();
    if (fields.length === 0 && /^(?:please respond to\s|sent by\s*:)/i.test(t)) {
      end = j + 1;
      blanks = 0;
      continue;
    }
    const h = headerAt(j);
    if (
      h &&
      (h.field === 'to' || h.field === 'cc' || h.field === 'subject' || (h.field === 'other' && fields.length))
    ) {
      fields.push({ ...h });
      end = j + 1;
      blanks = 0;
      if (h.field === 'subject') {
        const wrapped = subjectContinuation(lines, end);
        const subject = fields[fields.length - 1];
        if (subject && wrapped.length) subject.value = [subject.value, ...wrapped].join(' ');
        end += wrapped.length;
        break;
      }
      continue;
    }
    const last = fields[fields.length - 1];
    // A wrapped address list: indented, right under its field.
    if (last && blanks === 0 && (last.field === 'to' || last.field === 'cc') && /^\s/.test(line)) {
      last.value = `${last.value} ${t}`;
      end = j + 1;
      continue;
    }
    break;
  }
  return fields.length ? { end, fields } : { end: start, fields };
}

/** A separator line ("-------- Courriel d’origine --------", "–––– Přeposlaná zpráva ––––", a rule) right above a header block belongs to it, in any language. */
function dropSeparatorLine(authored: string[]): void {
  let k = authored.length - 1;
  while (k >= 0 && isBlank(authored[k] ?? '')) k--;
  if (k < 0) return;
  const line = authored[k] ?? '';
  if (isWrappedPhrase(line)) authored.length = k;
}

/** "| quoted text": some clients (and Usenet habits) quote with a bar; a table row ends in a bar as well, so it must not. */
export function isPipeQuotedLine(line: string): boolean {
  const t = line.trim();
  return t === '|' || (/^\|\s/.test(t) && !t.endsWith('|'));
}

/** Lines with one level of `|` quoting removed when every non-blank line has it; otherwise unchanged. */
function unpipe(lines: string[]): string[] {
  const marked = lines.filter((l) => !isBlank(l));
  if (marked.length === 0 || !marked.every(isPipeQuotedLine)) return lines;
  return lines.map((l) => l.replace(/^\s*\|\s?/, ''));
}

/** An attribution starting at line `i`, possibly wrapped over up to five more lines (two of them blank), or null. */
function matchAttribution(
  lines: readonly string[],
  i: number,
  nextIsQuoted: (from: number) => boolean,
): AttributionMatch | null {
  const first = lines[i] ?? '';
  if (first.length > MAX_PATTERN_LINE) return null;
  const found = (end: number, text: string): AttributionMatch => {
    const at = attributionStartInLine(first);
    const prefix = at > 0 ? trimChars(first.slice(0, at), RULE_CHARS) : '';
    return { end, text: at > 0 ? text.slice(at) : text, prefix };
  };
  if (mayBeAttributionLine(first) && isAttribution(first, nextIsQuoted(i + 1))) return found(i, first);
  if (!mayStartAttribution(first)) return null;
  let joined = first;
  let blanks = 0;
  for (let j = i + 1; j < lines.length && j <= i + 5; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) {
      if (++blanks > 2) break;
      continue;
    }
    // Only a short quoted tail ("> wrote:", ">:") belongs to a wrapped attribution; a longer one is the quote, and
    // a line that starts an attribution of its own ("On …") is tried from there.
    if (line.length > 200 || (isQuotedLine(line) && cleanLine(line).trim().length > 16)) break;
    if (startsAttribution(line)) break;
    // "… on 12/20/2000 03:13 PM" then "To: …": a header block follows, not the rest of an attribution.
    if (headerLine(line) !== null) break;
    joined = `${joined} ${line}`;
    if (isAttribution(joined, nextIsQuoted(j + 1))) {
      // "…<a@b>" then "> wrote:": the short quoted line is the attribution's own tail, not the quote.
      const tail = lines[j + 1] ?? '';
      const longer = `${joined} ${tail}`;
      if (isQuotedLine(tail) && cleanLine(tail).trim().length <= 16 && isAttribution(longer, nextIsQuoted(j + 2))) {
        return found(j + 1, longer);
      }
      return found(j, joined);
    }
  }
  return null;
}

/** The quoted part that starts at the top of `lines`: an attribution or header block, then the text. */
export function quotedPartFrom(lines: readonly string[]): QuotedPart {
  let i = 0;
  while (
    i < lines.length &&
    (isBlank(lines[i] ?? '') ||
      isRuleLine(lines[i] ?? '') ||
      isOriginalMessageLine(lines[i] ?? '') ||
      lines[i] === QUOTE_START_MARK)
  ) {
    i++;
  }
  const block = headerBlock(lines, i, undefined, true) ?? headerBlockAfterStrayLine(lines, i);
  if (block) return { attribution: null, header: block.fields, lines: lines.slice(block.end) };
  const senderLine = notesSenderLine(lines[i] ?? '') ?? groupWiseAttribution(lines[i] ?? '');
  if (senderLine) {
    const after = notesFieldsAfter(lines, i + 1, headerCache(lines));
    return {
      attribution: null,
      header: [...senderFields(senderLine), ...after.fields],
      lines: unmarked(lines.slice(after.end)),
    };
  }
  const attribution = matchAttribution(lines, i, (from) => {
    let k = from;
    while (k < lines.length && isBlank(lines[k] ?? '')) k++;
    return k < lines.length && isQuotedLine(lines[k] ?? '');
  });
  if (attribution) {
    const after = lines.slice(attribution.end + 1);
    const quotedBody = after.some((l) => isQuotedLine(l));
    return { attribution: attribution.text, header: null, lines: quotedBody ? after.map(unquoteOnce) : after };
  }
  return { attribution: null, header: null, lines: lines.slice(i) };
}

/**
 * A header block that a stray short line keeps from the separator above it (Outlook writes the sender's name in
 * brackets there, "[Mark Hall]", when a message is forwarded from a shared folder): the line at `i` is skipped when
 * it is short, not a sentence, and a header block starts on the next non-blank line.
 */
function headerBlockAfterStrayLine(lines: readonly string[], i: number): HeaderBlock | null {
  const t = cleanLine(lines[i] ?? '').trim();
  if (t.length === 0 || t.length > 60 || /[.?!:,;]$/.test(t) || headerLine(lines[i] ?? '') !== null) return null;
  let k = i + 1;
  while (k < lines.length && k <= i + 4 && isBlank(lines[k] ?? '')) k++;
  return headerLine(lines[k] ?? '')?.field === 'from' ? headerBlock(lines, k, undefined, true) : null;
}
