// One pass over the lines of a plain-text body: what the author wrote, and where quoted or forwarded text begins.
import {
  attributionStartInLine,
  cleanLine,
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
  MAX_PATTERN_LINE,
  mayBeAttributionLine,
  mayStartAttribution,
  startsAttribution,
  trimChars,
  unquoteOnce,
} from './quote-patterns.js';

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
    return k < n && isQuotedLine(lines[k] ?? '');
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
      if (block.fields[0]?.field === 'to') dropLotusSenderLines(authored);
      firstQuote ??= { attribution: null, header: block.fields, lines: rest(block.end) };
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
        if (nextIsQuoted(attribution.end + 1)) {
          pendingAttribution = attribution.text;
          i = nextNonBlank(attribution.end + 1);
          continue;
        }
        // Attribution followed by unmarked text (Outlook-style top posting): all of it is the earlier message.
        quoted = true;
        firstQuote ??= { attribution: attribution.text, header: null, lines: rest(attribution.end + 1) };
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

/** A header block ("From: … Sent: … To: … Subject: …", localised) starting at line `i`, or null. */
function headerBlock(lines: readonly string[], i: number, headerAt: HeaderAt = headerCache(lines)): HeaderBlock | null {
  const cached = headerAt(i);
  const first = cached ? { ...cached } : null;
  if (!first || (first.field !== 'from' && first.field !== 'date' && first.field !== 'to')) return null;
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
      if (++blanks > 1 || pending.length > 0) break;
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
        : groups.has('cc') && groups.has('subject'); // Lotus Notes: "To: … cc: … Subject: …"
  return valid ? { end, fields } : null;
}

/**
 * Lotus Notes writes the quoted sender and date on lines of their own above "To: … cc: … Subject:"; drop such short
 * lines (a date or an address on them) from the end of what was kept.
 */
function dropLotusSenderLines(authored: string[]): void {
  let dropped = 0;
  for (let k = authored.length - 1; k >= 0 && dropped < 4; k--) {
    const line = cleanLine(authored[k] ?? '').trim();
    if (line === '') continue;
    if (line.length > 100 || !/\d{1,2}[:/.]\d{2}|@/.test(line)) break;
    authored.length = k;
    dropped++;
  }
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
  const block = headerBlock(lines, i);
  if (block) return { attribution: null, header: block.fields, lines: lines.slice(block.end) };
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
