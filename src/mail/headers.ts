// Header helpers (pure): unfolding and decoding with libmime, message-id lists, dates.
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset';
import addressparser from 'nodemailer/lib/addressparser';

export type HeaderMap = Record<string, string[]>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * A raw header block (bytes) as text. Headers should be ASCII with RFC 2047 encoded-words, or
 * UTF-8 (RFC 6532); raw 8-bit text in another charset is common anyway (old clients, Exchange
 * relays). Each line is decoded on its own: UTF-8 when it is valid UTF-8, else `charset` (the
 * body's declared charset, the best guess for what the sender's client used), else
 * windows-1252 (a superset of ISO-8859-1 that has a character for nearly every byte). A line
 * holding ISO-2022 escape sequences (7-bit, so valid UTF-8; old Japanese mail writes raw JIS
 * headers) is decoded as the body's ISO-2022 charset, else ISO-2022-JP. Never yields U+FFFD
 * for bytes one of those charsets can read.
 */
export function decodeHeaderBytes(raw: Uint8Array, charset?: string | null): string {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const fallback = charset?.trim().toLowerCase() || '';
  const iso2022 = fallback.startsWith('iso-2022') ? fallback : 'iso-2022-jp';
  if (!bytes.includes(0x1b) && isUtf8(bytes)) return bytes.toString('utf8');
  const out: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    end = end < 0 ? bytes.length : end + 1;
    out.push(decodeHeaderLine(bytes.subarray(start, end), fallback, iso2022));
    start = end;
  }
  return out.join('');
}

function decodeHeaderLine(line: Buffer, charset: string, iso2022: string): string {
  // ESC $ or ESC ( introduce ISO-2022 designations (RFC 1468).
  if (hasIso2022Escape(line)) return decodeWith(line, iso2022);
  if (!line.some((b) => b > 0x7f)) return line.toString('latin1');
  if (isUtf8(line)) return line.toString('utf8');
  // A declared UTF-8 (or no charset) that is not valid UTF-8 says nothing: use windows-1252.
  const guess = charset && !/^utf-?8$|^us-ascii$/.test(charset) ? charset : '';
  const text = guess ? decodeWith(line, guess) : '';
  return text && !text.includes('\ufffd') ? text : utf8OrWindows1252(line);
}

function hasIso2022Escape(line: Buffer): boolean {
  for (let i = line.indexOf(0x1b); i >= 0 && i < line.length - 1; i = line.indexOf(0x1b, i + 1))
    if (line[i + 1] === 0x24 || line[i + 1] === 0x28) return true;
  return false;
}

function decodeWith(bytes: Buffer, charset: string): string {
  try {
    return decodeCharset(bytes, charset);
  } catch {
    return decodeCharset(bytes, 'windows-1252');
  }
}

/** Parses a raw header block into lower-cased names → unfolded raw values (in order). */
export function parseHeaderBlock(raw: string): HeaderMap {
  return libmime.decodeHeaders(raw) as HeaderMap;
}

/** The first value of a header, RFC 2047 encoded-words decoded, or null. */
export function headerText(headers: HeaderMap, name: string): string | null {
  const value = headers[name]?.[0];
  if (value === undefined) return null;
  return decodeWordsSafe(value).trim();
}

/** A Message-ID without brackets: `local@domain`, as broken clients write them. */
const BARE_ID_WITH_AT = /^[^\s<>()"@,;]+@[^\s<>()"@,;]+$/;
/** A bracketless id without "@" (a hex uuid, say): long, no word, has a digit. */
const BARE_ID_TOKEN = /^(?=[^\s<>()"@,;]*\d)[A-Za-z0-9._$%+=\-{}!#&'*/?^`|~]{8,}$/;

interface IdToken {
  id: string;
  bracketed: boolean;
}

/**
 * Splits a msg-id list into tokens (RFC 5322 §3.6.4 with the obsolete forms of §4.5.4):
 * `<…>` ids with any whitespace inside removed (a fold in the middle of an id, as libetpan
 * and Outlook write them, is unfolded to a space by the header parser), comments `(…)` and
 * quoted strings skipped, everything else split on whitespace and commas. Hand-written because
 * no library in package.json parses msg-id lists leniently; linear in the length of `value`.
 */
function idTokens(value: string): { tokens: IdToken[]; phrase: boolean } {
  const tokens: IdToken[] = [];
  let phrase = false;
  const n = value.length;
  let i = 0;
  while (i < n) {
    const c = value[i] as string;
    if (c === '<') {
      let j = i + 1;
      while (j < n && value[j] !== '>' && value[j] !== '<') j++;
      if (j < n && value[j] === '<') {
        // "<a<b>": the first bracket never closed; it was garbage.
        i = j;
        continue;
      }
      const id = value.slice(i + 1, j).replace(/[\s"]+/g, '');
      if (id) tokens.push({ id, bracketed: true });
      i = j + 1;
    } else if (c === '(') {
      // A comment, possibly nested, with quoted-pairs (RFC 5322 §3.2.2).
      let depth = 0;
      for (; i < n; i++) {
        const d = value[i];
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      i++;
    } else if (c === '"') {
      phrase = true;
      for (i++; i < n && value[i] !== '"'; i++) if (value[i] === '\\') i++;
      i++;
    } else if (/[\s,;]/.test(c)) i++;
    else {
      let j = i;
      while (j < n && !/[\s,;<("]/.test(value[j] as string)) j++;
      tokens.push({ id: value.slice(i, j).replace(/[.:]+$/, ''), bracketed: false });
      i = j;
    }
  }
  return { tokens, phrase };
}

/**
 * Message-IDs in a References/In-Reply-To value, in order, as `<id>`, duplicates dropped.
 * Lenient the way servers are: ids folded in the middle are joined, ids without brackets are
 * taken when they look like ids (`local@domain`, or a long token with digits such as a bare
 * uuid), unless the value also holds words, which makes it the obsolete phrase form of
 * In-Reply-To ("Your message of …" <id>), where only the bracketed ids count.
 */
export function parseMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const { tokens, phrase } = idTokens(value);
  const wordy = phrase || tokens.some((t) => !t.bracketed && !BARE_ID_WITH_AT.test(t.id) && !BARE_ID_TOKEN.test(t.id));
  const ids = tokens.filter((t) => t.bracketed || !wordy).map((t) => `<${t.id}>`);
  return [...new Set(ids)];
}

/**
 * One Message-ID header value in `<id>` form, or null when it holds none. A lone token is
 * taken whatever its shape (a bare hex uuid without "@" is still the id clients thread by).
 */
export function normalizeMessageId(value: string | null | undefined): string | null {
  const first = parseMessageIds(value)[0];
  if (first) return first;
  const { tokens, phrase } = idTokens(value ?? '');
  const only = tokens.length === 1 && !phrase ? tokens[0] : undefined;
  return only && only.id.length >= 4 && /^[!-~]+$/.test(only.id) ? `<${only.id}>` : null;
}

/**
 * Longest Date header value read, in characters. An RFC 5322 §3.3 date-time is about 31 characters, and a zone
 * comment ("(Pacific Standard Time)") keeps real headers under 100; a longer value is hostile or garbage.
 */
export const MAX_DATE_CHARS = 256;

/**
 * A Date: header (RFC 5322 §3.3, or what Date.parse reads) as milliseconds since the epoch, or null when it cannot
 * be read or is longer than MAX_DATE_CHARS (refused unread, so hostile headers cost nothing). Never throws.
 */
export function parseDate(value: string | Date | null | undefined): number | null {
  if (!value) return null;
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : null;
  const text = value.trim();
  // Refused unread: a date this long is hostile, and the comment strip below backtracks on it.
  if (text.length > MAX_DATE_CHARS) return null;
  const ms = Date.parse(text.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isFinite(ms) ? ms : null;
}

export interface ParsedAddress {
  name?: string;
  address?: string;
}

/**
 * Mailboxes of an address header (From, To, Cc, Reply-To), groups flattened, names decoded,
 * addresses lower-cased. Parsing is nodemailer's addressparser, the one mailparser uses.
 */
export function parseAddresses(values: string[] | undefined): ParsedAddress[] {
  if (!values?.length) return [];
  const out: ParsedAddress[] = [];
  for (const value of values) {
    for (const a of addressparser(value, { flatten: true })) {
      const name = a.name ? decodeWordsSafe(a.name).trim() : '';
      const address = a.address ? a.address.trim().toLowerCase() : '';
      if (!name && !address) continue;
      out.push({ ...(name ? { name } : {}), ...(address ? { address } : {}) });
    }
  }
  return out;
}

function decodeWordsSafe(value: string): string {
  try {
    const decoded = libmime.decodeWords(value);
    // A word labelled with a charset its bytes are not in ("utf-8" over Latin-1 bytes,
    // "unknown-8bit", "x-unknown") decodes to U+FFFD: decode those words leniently instead.
    return decoded.includes('\ufffd') && !value.includes('\ufffd') ? decodeWordsLeniently(value) : decoded;
  } catch {
    return decodeWordsLeniently(value);
  }
}

const ENCODED_WORD = /=\?([^?\s]{1,64})\?([QqBb])\?([^?\s]*)\?=/g;

/**
 * RFC 2047 encoded-words decoded by hand: adjacent words of one charset are joined before
 * decoding (a character may be split across two words), whitespace between words is dropped
 * (§6.2), and bytes that are not valid in the labelled charset are read as UTF-8 when valid,
 * else windows-1252. Used only when libmime's strict decoding produced U+FFFD.
 */
function decodeWordsLeniently(value: string): string {
  const out: string[] = [];
  let last = 0;
  let run: { charset: string; bytes: Buffer[] } | null = null;
  const flush = () => {
    if (run) out.push(decodeWordBytes(Buffer.concat(run.bytes), run.charset));
    run = null;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    if (!(run && /^\s*$/.test(between))) {
      flush();
      out.push(between);
    }
    const charset = (m[1] ?? '').split('*')[0]?.toLowerCase() ?? '';
    const text = m[3] ?? '';
    const bytes =
      m[2]?.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          );
    if (run && (run as { charset: string }).charset !== charset) flush();
    run ??= { charset, bytes: [] };
    (run as { bytes: Buffer[] }).bytes.push(bytes);
    last = (m.index ?? 0) + m[0].length;
  }
  flush();
  out.push(value.slice(last));
  return out.join('');
}

function decodeWordBytes(bytes: Buffer, charset: string): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const labelled = /^(utf-?8|unknown.*|x-unknown|us-ascii|default)$/.test(charset) ? '' : charset;
  const text = labelled ? decodeWith(bytes, labelled) : '';
  return text && !text.includes('\ufffd') ? text : utf8OrWindows1252(bytes);
}

/**
 * Bytes that mix UTF-8 and a single-byte charset (a UTF-8 name pasted into a Latin-1 header):
 * every well-formed UTF-8 sequence as UTF-8, every other byte as windows-1252.
 */
function utf8OrWindows1252(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    if (b >= 0x80 && n > 1 && i + n <= bytes.length) {
      const seq = bytes.subarray(i, i + n);
      if (isUtf8(seq)) {
        out += seq.toString('utf8');
        i += n;
        continue;
      }
    }
    // The five bytes windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1.
    const single = b < 0x80 ? '' : decodeWith(bytes.subarray(i, i + 1), 'windows-1252');
    out += single && single !== '\ufffd' ? single : String.fromCharCode(b);
    i++;
  }
  return out;
}
