// HTML → plain text for mail bodies (pure): readable links, kept lists and line breaks, no wrapping, no images;
// bounded time on hostile markup (HTML bombs) and never throws.

import type { FormatCallback, HtmlToTextOptions, SelectorDefinition } from 'html-to-text';
import { compile } from 'html-to-text';

/** Markup past this many characters is dropped before parsing; real mail bodies are far smaller. */
export const MAX_HTML_CHARS = 512 * 1024;

/**
 * Element nesting deeper than this is cut off before parsing. htmlparser2 slows down superlinearly on very deep
 * trees (40k nested divs take ~1 s), and html-to-text re-processes a block's text at every level it is nested in, so
 * the conversion costs depth × size: 400 levels of quoted text took 1.3 s for 400 KB, 128 levels take a tenth. No
 * real message nests this deep (a Gmail thread adds about four levels per quoted reply, so this is 30 replies deep),
 * and what is cut off is the oldest quoted text.
 */
export const MAX_NESTING = 128;

/**
 * Elements (start tags) past this many are cut off before parsing. html-to-text spends some ten microseconds per
 * element, so 512 KB of `<td>x` (100 K cells) took seconds; a long newsletter or a Word-made reply has a few
 * thousand, and what is cut off is the end of the message, where the oldest quoted text is.
 */
export const MAX_ELEMENTS = 20_000;

/** Elements that never have children, so they do not deepen the nesting (HTML Living Standard §13.1.2). */
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** Elements whose end tag is optional and often left out; counting them would overstate the nesting. */
const OPTIONAL_END = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'thead', 'tbody', 'tfoot']);

/**
 * Caps the length of the markup and cuts it off where elements nest deeper than {@link MAX_NESTING} or number more
 * than {@link MAX_ELEMENTS}. One linear scan over the tags; approximate on purpose (a `>` inside a quoted attribute
 * ends the tag early), which only matters for markup that is already pathological.
 */
export function capHtml(html: string): string {
  const slim = dropBulk(html.length > MAX_HTML_CHARS * 4 ? html.slice(0, MAX_HTML_CHARS * 4) : html);
  const text = slim.length > MAX_HTML_CHARS ? slim.slice(0, MAX_HTML_CHARS) : slim;
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)[^<>]*>/g;
  let depth = 0;
  let elements = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    if (!m[1] && ++elements > MAX_ELEMENTS) return text.slice(0, m.index);
    const name = (m[2] ?? '').toLowerCase();
    if (VOID_ELEMENTS.has(name) || OPTIONAL_END.has(name) || m[0].endsWith('/>')) continue;
    if (m[1]) {
      if (depth > 0) depth--;
    } else if (++depth > MAX_NESTING) {
      return text.slice(0, m.index);
    }
  }
  return text;
}

/**
 * Removes what takes room but never becomes text, so that the length cap counts readable markup: inline images
 * as data: URIs (pasted screenshots can be megabytes) and <style> blocks (Word-generated HTML carries tens of KB).
 * Linear: one regex pass for the URIs, and an index walk for the style blocks.
 */
function dropBulk(html: string): string {
  let s = html.replace(/\bsrc\s*=\s*(["'])data:[^"']*\1/gi, 'src=""');
  if (!/<style/i.test(s)) return s;
  const open = /<style\b/gi;
  const close = /<\/style\s*>/gi;
  let out = '';
  let from = 0;
  for (let m = open.exec(s); m !== null; m = open.exec(s)) {
    if (m.index < from) continue;
    out += s.slice(from, m.index);
    close.lastIndex = m.index;
    const end = close.exec(s);
    if (!end) {
      from = s.length;
      break;
    }
    from = end.index + end[0].length;
    open.lastIndex = from;
  }
  s = out + s.slice(from);
  return s;
}

/** The parts a caller inside src/mail may add to the base conversion (e.g. quote-aware formatters). */
export interface HtmlConverterParts {
  selectors?: SelectorDefinition[];
  formatters?: Record<string, FormatCallback>;
}

const BASE_SELECTORS: SelectorDefinition[] = [
  // "text <url>" is how plain-text mail writes links; a link whose text is its URL is written once.
  { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] } },
  // mailto:/tel: targets repeat what the link text already says (html-to-text strips "mailto:" only for equality).
  { selector: 'a[href^="mailto:"]', format: 'anchor', options: { ignoreHref: true } },
  { selector: 'a[href^="tel:"]', format: 'anchor', options: { ignoreHref: true } },
  { selector: 'img', format: 'skip' },
  { selector: 'style', format: 'skip' },
  { selector: 'script', format: 'skip' },
  { selector: 'head', format: 'skip' },
  { selector: 'title', format: 'skip' },
  { selector: 'noscript', format: 'skip' },
  { selector: 'template', format: 'skip' },
  { selector: 'svg', format: 'skip' },
  { selector: 'h1', options: { uppercase: false } },
  { selector: 'h2', options: { uppercase: false } },
  { selector: 'h3', options: { uppercase: false } },
  { selector: 'h4', options: { uppercase: false } },
  { selector: 'h5', options: { uppercase: false } },
  { selector: 'h6', options: { uppercase: false } },
  { selector: 'ul', options: { itemPrefix: '- ' } },
  // Layout tables (signatures, Outlook) read best as one line per row, cells separated by a space.
  { selector: 'table', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
  { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
  { selector: 'td', format: 'inlineSurround', options: { suffix: ' ' } },
  { selector: 'th', format: 'inlineSurround', options: { suffix: ' ' } },
  // Word-generated HTML (Outlook) writes every line as its own <p class=MsoNormal>; a paragraph break per line
  // would double-space the whole message.
  { selector: 'p.MsoNormal', format: 'paragraph', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
  { selector: 'p.MsoPlainText', format: 'paragraph', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
  { selector: 'hr', options: { length: 20 } },
];

/** Builds a converter: markup capped, converted, whitespace tidied, and a crude tag strip if the library throws. */
export function createHtmlConverter(parts: HtmlConverterParts = {}): (html: string) => string {
  const options: HtmlToTextOptions = {
    wordwrap: false,
    selectors: [...BASE_SELECTORS, ...(parts.selectors ?? [])],
    limits: {
      maxDepth: MAX_NESTING,
      maxChildNodes: 20_000,
      // capHtml already cut the input; this only keeps html-to-text from logging to stderr on its own cap.
      maxInputLength: MAX_HTML_CHARS + 1,
      ellipsis: '',
    },
  };
  if (parts.formatters) options.formatters = parts.formatters;
  const convert = compile(options);
  return (html: string): string => {
    if (!html) return '';
    let text: string;
    try {
      text = convert(capHtml(html));
    } catch {
      text = stripTags(capHtml(html));
    }
    return tidy(text);
  };
}

let defaultConverter: ((html: string) => string) | undefined;

/** Converts an HTML mail body to plain text. Never throws; hostile input returns within bounded time. */
export function htmlToText(html: string): string {
  defaultConverter ??= createHtmlConverter();
  return defaultConverter(html);
}

/**
 * Non-breaking spaces to spaces, trailing spaces off, at most one blank line in a row. Line by line rather than with
 * `/[ \t]+$/gm`, which backtracks quadratically on a long run of spaces that does not end the line.
 */
function tidy(text: string): string {
  const out: string[] = [];
  let blank = false;
  for (const raw of text.replace(/\u00a0/g, ' ').split('\n')) {
    const line = raw.trimEnd();
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

/** Last resort when the converter fails: drop tags and decode the few entities that matter for reading. */
function stripTags(html: string): string {
  return html
    .replace(/<(?:br|\/p|\/div|\/li|\/tr|\/h\d)[^<>]*>/gi, '\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/gi, '&');
}
