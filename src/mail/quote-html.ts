// Quote-aware HTML → text for reply extraction: the quote containers of the common clients come out as `> ` lines
// and structural markers, so one line-based algorithm handles text and HTML mail alike.
import type { DomNode, FormatCallback, SelectorDefinition } from 'html-to-text';
import { createHtmlConverter, MAX_HTML_CHARS } from './html-text.js';
import { QUOTE_START_MARK, SIGNATURE_MARK } from './reply-scan.js';

/** Plain `<blockquote>` boundaries, resolved after conversion (private-use characters, never in real text). */
const OPEN_PLAIN = '\uE002';
const CLOSE_PLAIN = '\uE003';

type BlockTextBuilder = Parameters<FormatCallback>[2];

function trimNewlines(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === '\n') a++;
  while (b > a && s[b - 1] === '\n') b--;
  return s.slice(a, b);
}

const prefixLines = (s: string) =>
  trimNewlines(s)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');

function classOf(elem: DomNode): string {
  const attribs = elem.attribs as Record<string, string> | undefined;
  return attribs?.class ?? '';
}

function insideGmailQuote(elem: DomNode): boolean {
  for (let p = elem.parent; p; p = p.parent) {
    if (p.name === 'div' && classOf(p).includes('gmail_quote')) return true;
  }
  return false;
}

/** A container whose whole content is a quoted message: written with `> ` before every line. */
const quoteContainer: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2, blockTransform: prefixLines });
};

function markerLine(builder: BlockTextBuilder, mark: string): void {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(mark);
  builder.closeBlock({ trailingLineBreaks: 2 });
}

/**
 * Gmail's `div.gmail_quote` normally holds an attribution (`.gmail_attr`) and a `blockquote`. Without either it is a
 * wrapper Gmail left around text the author wrote (a reply with a new subject, an edited forward): not a quote.
 * The search stops after a few thousand nodes, so a hostile document costs little; then the div counts as a quote.
 */
function holdsQuote(elem: DomNode): boolean {
  const stack: DomNode[] = [...((elem.children as DomNode[] | undefined) ?? [])];
  for (let seen = 0; stack.length > 0; seen++) {
    if (seen > 5000) return true;
    const node = stack.pop() as DomNode;
    if (node.name === 'blockquote') return true;
    if (/\bgmail_attr\b/.test(classOf(node))) return true;
    for (const child of (node.children as DomNode[] | undefined) ?? []) stack.push(child);
  }
  return false;
}

/**
 * Whether text comes before the first quote element (attribution, blockquote, nested gmail_quote) inside `elem`, in
 * document order: Gmail sometimes wraps the author's new text and the quote below it in one gmail_quote div.
 */
function textBeforeQuote(elem: DomNode): boolean {
  const stack: DomNode[] = [...((elem.children as DomNode[] | undefined) ?? [])].reverse();
  for (let seen = 0; stack.length > 0 && seen < 5000; seen++) {
    const node = stack.pop() as DomNode;
    if (node.name === 'blockquote' || /\bgmail_(?:attr|quote)\b/.test(classOf(node))) return false;
    if (node.type === 'text' && /\S/.test((node as { data?: string }).data ?? '')) return true;
    const children = (node.children as DomNode[] | undefined) ?? [];
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k] as DomNode);
  }
  return false;
}

/**
 * `div.gmail_quote`: a quote container; a transparent wrapper when it holds no quote (holdsQuote) or when the author's
 * text comes first inside it (textBeforeQuote), the quote below then being marked by its own elements.
 */
const gmailQuote: FormatCallback = (elem, walk, builder, options) => {
  if (holdsQuote(elem) && !textBeforeQuote(elem)) {
    quoteContainer(elem, walk, builder, options);
    return;
  }
  builder.openBlock({ leadingLineBreaks: 1 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

/** Everything after this element is the quoted message (Outlook on the web's empty `#appendonsend`, `<hr>`s). */
const quoteStart: FormatCallback = (elem, walk, builder) => {
  markerLine(builder, QUOTE_START_MARK);
  walk(elem.children, builder);
};

/** A client's signature container: marked so that the signature stage knows where it starts. */
const signatureContainer: FormatCallback = (elem, walk, builder) => {
  markerLine(builder, SIGNATURE_MARK);
  builder.openBlock({ leadingLineBreaks: 1 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

/**
 * `<blockquote>`: `type=cite` (Apple Mail, Thunderbird, iOS) is a quote. Gmail's `blockquote.gmail_quote` is a quote
 * inside `div.gmail_quote`, and the author's own indentation (Gmail's "quote" button) outside it. Any other
 * blockquote is ambiguous: like talon, the last top-level one is taken as the quote and earlier ones as the
 * author's formatting, which is settled after conversion from the boundary markers written here.
 */
const blockquote: FormatCallback = (elem, walk, builder) => {
  const attribs = (elem.attribs ?? {}) as Record<string, string>;
  const cls = classOf(elem);
  if ((attribs.type ?? '').toLowerCase() === 'cite' || cls.includes('protonmail_quote') || cls.includes('yahoo')) {
    quoteContainer(elem, walk, builder, {});
    return;
  }
  if (cls.includes('gmail_quote')) {
    if (insideGmailQuote(elem)) {
      quoteContainer(elem, walk, builder, {});
    } else {
      builder.openBlock({ leadingLineBreaks: 2 });
      walk(elem.children, builder);
      builder.closeBlock({ trailingLineBreaks: 2 });
    }
    return;
  }
  builder.openBlock({ leadingLineBreaks: 2 });
  walk(elem.children, builder);
  builder.closeBlock({
    trailingLineBreaks: 2,
    blockTransform: (s) => `${OPEN_PLAIN}\n${trimNewlines(s)}\n${CLOSE_PLAIN}`,
  });
};

const QUOTE_SELECTORS: SelectorDefinition[] = [
  { selector: 'blockquote', format: 'replyBlockquote' },
  { selector: 'div[class*="gmail_quote"]', format: 'replyGmailQuote' }, // Gmail (also x_gmail_quote once re-quoted)
  { selector: 'div[class*="yahoo_quoted"]', format: 'replyQuote' }, // Yahoo Mail
  { selector: 'div.protonmail_quote', format: 'replyQuote' }, // Proton Mail
  { selector: 'span#OLK_SRC_BODY_SECTION', format: 'replyQuote' }, // Outlook for Mac
  { selector: 'div#mail-editor-reference-message-container', format: 'replyQuote' }, // new Outlook
  { selector: 'div#appendonsend', format: 'replyQuoteStart' }, // Outlook on the web: the quote follows it
  { selector: 'div#divRplyFwdMsg', format: 'replyQuoteStart' }, // Outlook on the web: the header of the quote
  { selector: 'div.OutlookMessageHeader', format: 'replyQuoteStart' }, // Outlook 2003
  { selector: 'hr#stopSpelling', format: 'replyQuoteStart' }, // Hotmail / Windows Live
  { selector: 'hr#zwchr', format: 'replyQuoteStart' }, // Zimbra
  { selector: 'div.gmail_signature', format: 'replySignature' },
  { selector: 'div[data-smartmail="gmail_signature"]', format: 'replySignature' },
  { selector: 'div#Signature', format: 'replySignature' }, // Outlook on the web
  { selector: 'div.moz-signature', format: 'replySignature' }, // Thunderbird
  { selector: 'pre.moz-signature', format: 'replySignature' },
  { selector: 'div#AppleMailSignature', format: 'replySignature' }, // Apple Mail, iOS
];

let convert: ((html: string) => string) | undefined;
const quoteAwareConverter = () =>
  createHtmlConverter({
    selectors: QUOTE_SELECTORS,
    formatters: {
      replyBlockquote: blockquote,
      replyQuote: quoteContainer,
      replyGmailQuote: gmailQuote,
      replyQuoteStart: quoteStart,
      replySignature: signatureContainer,
    },
  });

/**
 * The start of a container after which everything is the quoted message (Gmail, Yahoo, Outlook on the web). Cut
 * there, keeping the container's first few KB for its attribution or forward header, the conversion costs what
 * the author wrote rather than what the whole thread weighs.
 */
// `[^<>]` keeps each try inside one tag: with `[^>]`, a flood of unclosed `<div ` made every try run to the end of
// the text, quadratic in its length.
const QUOTED_TAIL =
  /<div\b[^<>]*?(?:class\s*=\s*["'][^"'<>]*(?:gmail_quote|yahoo_quoted)|id\s*=\s*["']?(?:appendonsend|divRplyFwdMsg|mail-editor-reference-message-container)\b)/i;
const KEEP_OF_QUOTE = 4096;

/**
 * Converts an HTML body to text in which quoted parts are `>`-prefixed and client markers are marker lines.
 * `authoredOnly`: the caller needs only what precedes the quote, so the thread below it may be cut off unread.
 */
export function htmlToQuotedText(html: string, authoredOnly = false): string {
  let input = html;
  if (authoredOnly) {
    const m = QUOTED_TAIL.exec(html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html);
    // A gmail_quote div without a quote inside it wraps the author's own text (see holdsQuote): no cut then.
    const kept = m ? html.slice(m.index, m.index + KEEP_OF_QUOTE) : '';
    if (m && (!/gmail_quote/i.test(m[0]) || /<blockquote\b|gmail_attr/i.test(kept))) {
      input = html.slice(0, m.index + KEEP_OF_QUOTE);
    }
  }
  convert ??= quoteAwareConverter();
  return resolvePlainBlockquotes(convert(input));
}

/** Prefixes the last top-level plain blockquote with `> ` and unwraps the others (the author's indentation). */
function resolvePlainBlockquotes(text: string): string {
  if (!text.includes(OPEN_PLAIN)) return text;
  const lines = text.split('\n');
  let depth = 0;
  let lastOpen = -1;
  for (let k = 0; k < lines.length; k++) {
    if (lines[k] === OPEN_PLAIN) {
      if (depth === 0) lastOpen = k;
      depth++;
    } else if (lines[k] === CLOSE_PLAIN && depth > 0) {
      depth--;
    }
  }
  const out: string[] = [];
  depth = 0;
  let inLast = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k] ?? '';
    const bare = line.replace(/^(?:> ?)+/, '');
    if (bare === OPEN_PLAIN || bare === CLOSE_PLAIN) {
      if (line === OPEN_PLAIN) {
        if (k === lastOpen) inLast = true;
        depth++;
      } else if (line === CLOSE_PLAIN && depth > 0) {
        depth--;
        if (depth === 0) inLast = false;
      }
      continue;
    }
    out.push(inLast ? `> ${line}` : line);
  }
  return out.join('\n');
}
