// Header helpers (pure): unfolding and decoding with libmime, message-id lists, dates.
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';

export type HeaderMap = Record<string, string[]>;

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

/**
 * Message-IDs in a References/In-Reply-To value (RFC 5322 §3.6.4), in order, duplicates
 * dropped. Values without angle brackets (seen from broken clients) are split on whitespace.
 */
export function parseMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const bracketed = value.match(/<[^<>\s]+>/g);
  const ids =
    bracketed ??
    value
      .split(/[\s,]+/)
      .filter((t) => /^[^\s<>]+@[^\s<>]+$/.test(t))
      .map((t) => `<${t}>`);
  return [...new Set(ids)];
}

/** Normalises one Message-ID to `<id>` form, or null when the value holds none. */
export function normalizeMessageId(value: string | null | undefined): string | null {
  return parseMessageIds(value)[0] ?? null;
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
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
