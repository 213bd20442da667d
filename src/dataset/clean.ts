// Turns a stored content into what its author wrote (quotes and signature removed), with its
// language and junk classification; cached per content in content_text.
import { UnderstudyError } from '../errors.js';
import { classifyMessage, type SkipReason } from '../mail/classify.js';
import { headerText, parseAddresses, parseHeaderBlock } from '../mail/headers.js';
import { detectLanguage } from '../mail/language.js';
import { replyText } from '../mail/reply-text.js';
import { type ContentTextRow, contentForCleaning, contentText, putContentText } from '../store/content-text.js';
import type { Db } from '../store/db.js';

/** Bump when cleaning changes, so cached rows are made again. */
export const CLEANING_RULES = 'clean-5';

/** Longest own text kept; a "reply" longer than this is a document, and pathological input is cut. */
const MAX_OWN_TEXT = 100_000;

export interface CleanedText {
  ownText: string | null;
  quoted: boolean;
  forwarded: boolean;
  signature: string | null;
  language: string | null;
  skipReasons: SkipReason[];
  /** Why the content could not be read; the message is then skipped with this reason. */
  error: string | null;
}

/** The cleaned text of a content, from the cache when its rules are current. */
export function cleanedText(db: Db, contentId: number, counter?: { cleaned: number }, noCache = false): CleanedText {
  const cached = noCache ? undefined : contentText(db, contentId);
  if (cached && cached.rules === CLEANING_RULES) return fromRow(cached);
  if (counter) counter.cleaned++;
  const content = contentForCleaning(db, contentId);
  const cleaned: CleanedText = content
    ? cleanContent(content)
    : {
        ownText: null,
        quoted: false,
        forwarded: false,
        signature: null,
        language: null,
        skipReasons: [],
        error: 'content missing',
      };
  putContentText(db, toRow(contentId, cleaned));
  return cleaned;
}

/**
 * Cleans one content. Never throws: malformed MIME, unknown charsets, HTML bombs and binary
 * garbage end up as an `error` (and the message is skipped with it), not as a crash.
 */
export function cleanContent(content: {
  headers: string;
  mime_type: string | null;
  body_text: string | null;
  body_html: string | null;
  attachments: string;
}): CleanedText {
  try {
    const headers = parseHeaderBlock(content.headers);
    const text = content.body_text;
    // Caught below: the message is left out with this reason; there is nothing for the user to do.
    if (text !== null && looksBinary(text))
      throw new UnderstudyError('BINARY_TEXT', 'final', 'the text part is binary data, not text');
    const reply = replyText({ text, html: content.body_html });
    const ownText = reply.text.length > MAX_OWN_TEXT ? reply.text.slice(0, MAX_OWN_TEXT) : reply.text;
    const attachments = safeJson<{ type: string; filename?: string }[]>(content.attachments, []);
    const skipReasons = classifyMessage({
      headers,
      from: parseAddresses(headers.from),
      subject: headerText(headers, 'subject'),
      mimeType: content.mime_type,
      attachments,
      ownText,
      forwarded: reply.forwarded,
    });
    return {
      ownText,
      quoted: reply.quoted,
      forwarded: reply.forwarded,
      signature: reply.signature,
      language: ownText.trim() ? detectLanguage(ownText) : null,
      skipReasons,
      error: null,
    };
  } catch (err) {
    return {
      ownText: null,
      quoted: false,
      forwarded: false,
      signature: null,
      language: null,
      skipReasons: [],
      error: (err as Error).message || String(err),
    };
  }
}

/** NUL bytes or a high share of control characters: not text a person wrote. */
function looksBinary(text: string): boolean {
  const sample = text.slice(0, 4096);
  if (sample.includes('\u0000')) return true;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
  }
  return sample.length > 64 && control / sample.length > 0.1;
}

function safeJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function fromRow(row: ContentTextRow): CleanedText {
  return {
    ownText: row.own_text,
    quoted: row.quoted === 1,
    forwarded: row.forwarded === 1,
    signature: row.signature,
    language: row.language,
    skipReasons: safeJson<SkipReason[]>(row.skip_reasons, []),
    error: row.error,
  };
}

function toRow(contentId: number, c: CleanedText): ContentTextRow {
  return {
    content_id: contentId,
    rules: CLEANING_RULES,
    own_text: c.ownText,
    quoted: c.quoted ? 1 : 0,
    forwarded: c.forwarded ? 1 : 0,
    signature: c.signature,
    language: c.language,
    skip_reasons: JSON.stringify(c.skipReasons),
    error: c.error,
  };
}
