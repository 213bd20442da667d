// What the author wrote in a message (pure): quotes, attributions, forwarded parts and signatures removed.
import { type Attribution, parseAttributionLine, parseHeaderFields } from './quote-attribution.js';
import { htmlToQuotedText } from './quote-html.js';
import { isAttribution, isBlank, unquoteOnce } from './quote-patterns.js';
import { type QuotedPart, SIGNATURE_MARK, scanReply } from './reply-scan.js';
import { signatureKey, signOffStart, splitSignature } from './reply-signature.js';
import { dropControls } from './text-controls.js';

export interface ReplyTextOptions {
  /** Keep the signature block (contact details, disclaimers) instead of removing it. The sign-off line ("Best, Anna") is always kept: it is part of the author's voice. */
  keepSignature?: boolean;
  /** The user's own recurring signature blocks, as learned by learnSignatures(); removed wherever they appear at the end. */
  ownSignatures?: readonly string[];
}

export interface ReplyText {
  /** What the author wrote in this message: quotes, attributions, forwarded sections and (unless keepSignature) the signature removed; whitespace normalised (trailing spaces trimmed, CRLF→LF, control characters dropped, at most one blank line between paragraphs, trimmed). */
  text: string;
  /** True when quoted text or an attribution/header block of an earlier message was removed. */
  quoted: boolean;
  /** True when a forwarded-message section was found (and removed). */
  forwarded: boolean;
  /** The removed signature block, or null. */
  signature: string | null;
}

// Attribution is defined where it is read (quote-attribution.ts), so that module need not import this one.
export type { Attribution } from './quote-attribution.js';

/**
 * Text beyond this many characters is not read: a reply is written at the top, and a cap keeps one pathological
 * message from costing more than a mailbox of ordinary ones.
 */
export const MAX_TEXT_CHARS = 200 * 1024;

interface Source {
  lines: string[];
  fromHtml: boolean;
}

/** Prefer text/plain; fall back to the HTML (quote containers removed first, then converted with htmlToText). */
export function replyText(
  body: { text?: string | null; html?: string | null },
  options: ReplyTextOptions = {},
): ReplyText {
  const source = readSource(body, true);
  const scan = scanReply(source.lines, { trustMarkers: source.fromHtml, markers: source.fromHtml });
  let lines = scan.authored;
  let signature: string | null = null;
  if (options.keepSignature) {
    if (scan.footer !== null) lines = [...lines, scan.footer];
  } else {
    const own = (options.ownSignatures ?? []).map(signatureKey).filter((s) => s.length > 0);
    const split = splitSignature(lines, own);
    lines = split.lines;
    const parts = [split.signature, scan.footer?.trim() || null].filter((p): p is string => p !== null);
    signature = parts.length > 0 ? normaliseWhitespace(parts.join('\n').split('\n')) : null;
  }
  return {
    text: normaliseWhitespace(lines.filter((l) => l !== SIGNATURE_MARK)),
    quoted: scan.quoted,
    forwarded: scan.forwarded,
    signature,
  };
}

/** replyText's result taken apart, for people checking what the dataset learns (`understudy mail reply-text --json`). */
export interface ReplyParts extends ReplyText {
  /** The sign-off at the end of `text` ("Best regards,\nAnna", "/ Jef"), which stays in `text`; null when none. */
  signOff: string | null;
  /** The attribution line (as written) or quoted header block (one "field: value" line each) that introduced the first quoted message; null when none. */
  attribution: string | null;
  /** Who and when, read from that attribution or header block. */
  attributionFields: Attribution | null;
  /** The first quoted message, quote markers removed; null when the body quotes nothing. */
  quote: string | null;
}

/** replyText plus the parts it found: sign-off, attribution (as written and parsed) and the first quoted message. */
export function replyParts(
  body: { text?: string | null; html?: string | null },
  options: ReplyTextOptions = {},
): ReplyParts {
  const reply = replyText(body, options);
  const lines = reply.text.split('\n');
  const at = signOffStart(lines);
  const source = readSource(body);
  const scan = scanReply(source.lines, { trustMarkers: source.fromHtml, markers: source.fromHtml });
  const part = scan.firstQuote ? withLeadingAttribution(scan.firstQuote) : null;
  const header = part?.header
    ? part.header.map((h) => `${h.field === 'other' ? '' : `${h.field}: `}${h.value}`).join('\n')
    : null;
  return {
    ...reply,
    signOff: at === null ? null : normaliseWhitespace(lines.slice(at)),
    attribution: part?.attribution ?? header,
    attributionFields: part?.header
      ? parseHeaderFields(part.header)
      : part?.attribution
        ? parseAttributionLine(part.attribution)
        : null,
    quote: part ? normaliseWhitespace(part.lines) || null : null,
  };
}

/** The quoted original inside a reply (for recovering a parent that has no In-Reply-To): the attribution line / header block (who, when) and the quoted text with quote markers removed; null when the body quotes nothing. */
export function quotedOriginal(body: {
  text?: string | null;
  html?: string | null;
}): { attribution: Attribution | null; text: string } | null {
  const source = readSource(body);
  const scan = scanReply(source.lines, { trustMarkers: source.fromHtml, markers: source.fromHtml });
  if (!scan.firstQuote) return null;
  const part = withLeadingAttribution(scan.firstQuote);
  const attribution = part.header
    ? parseHeaderFields(part.header)
    : part.attribution
      ? parseAttributionLine(part.attribution)
      : null;
  return { attribution, text: normaliseWhitespace(part.lines) };
}

/**
 * Apple Mail and iOS put the attribution inside the quote ("> On 22 Aug 2015, at 19:21, Ann <a@b> wrote:"):
 * a quoted part without its own attribution or header block gets the one in its first three lines, and the
 * lines after it lose one level of quoting. Other parts are returned as they are.
 */
export function withLeadingAttribution(part: QuotedPart): QuotedPart {
  if (part.attribution || part.header) return part;
  let i = 0;
  while (i < part.lines.length && isBlank(part.lines[i] ?? '')) i++;
  for (let j = i; j < Math.min(part.lines.length, i + 3); j++) {
    const joined = part.lines.slice(i, j + 1).join(' ');
    const next = part.lines[j + 1] ?? '';
    if (isAttribution(joined, next.trimStart().startsWith('>'))) {
      const after = part.lines.slice(j + 1);
      const inner = after.some((l) => l.trimStart().startsWith('>')) ? after.map(unquoteOnce) : after;
      return { attribution: joined, header: null, lines: inner };
    }
  }
  return part;
}

function readSource(body: { text?: string | null; html?: string | null }, authoredOnly = false): Source {
  const text = body.text ?? '';
  if (text.trim() !== '') return { lines: toLines(text), fromHtml: false };
  const html = body.html ?? '';
  if (html.trim() !== '') return { lines: toLines(htmlToQuotedText(html, authoredOnly)), fromHtml: true };
  return { lines: [], fromHtml: false };
}

/**
 * CRLF/CR → LF, capped at MAX_TEXT_CHARS (at a line end), other control characters and escape sequences
 * dropped (dropControls: a sender's ESC sequence is not words, and must not reach training or drafts), split
 * into lines.
 */
function toLines(text: string): string[] {
  let t = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
  if (t.length === MAX_TEXT_CHARS) {
    const nl = t.lastIndexOf('\n');
    if (nl > 0) t = t.slice(0, nl);
  }
  return capLines(dropControls(t.replace(/\r\n?/g, '\n')).split('\n'));
}

/**
 * Lines beyond this many are not read. Each line costs the scan some ten microseconds of pattern tests, so 200 K
 * characters of one-character lines (100 K lines) took a second per pass; what an author writes above the quote is
 * a few hundred lines at most, and the pairing reads only the start of the quote.
 */
export const MAX_TEXT_LINES = 5_000;

/** The first MAX_TEXT_LINES lines (the array itself when it is shorter). */
export function capLines(lines: string[]): string[] {
  return lines.length > MAX_TEXT_LINES ? lines.slice(0, MAX_TEXT_LINES) : lines;
}

/** Trailing spaces trimmed, no-break spaces as spaces, at most one blank line in a row, trimmed. */
function normaliseWhitespace(lines: readonly string[]): string {
  const out: string[] = [];
  let blank = false;
  for (const raw of lines) {
    // A line of invisible marks only (a lone Gmail "ᐧ") is blank.
    const line = isBlank(raw)
      ? ''
      : raw
          .replace(/[\u200b\ufeff]/g, '')
          .replace(/\u00a0/g, ' ')
          .trimEnd();
    if (line === '') {
      if (!blank && out.length > 0) out.push('');
      blank = true;
    } else {
      out.push(line);
      blank = false;
    }
  }
  return out.join('\n').trim();
}
