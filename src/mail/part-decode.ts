// Decodes a fetched MIME body part (pure): Content-Transfer-Encoding, then the charset (validated, not trusted),
// then format=flowed (RFC 3676).

import iconv from 'iconv-lite';
import { decode as decodeBase64 } from 'libbase64';
import libmime from 'libmime';
import { decode as decodeCharset, normalizeCharset } from 'libmime/lib/charset';
import { decode as decodeQuotedPrintable } from 'libqp';

export interface PartEncoding {
  /** Content-Transfer-Encoding: 7bit, 8bit, binary, quoted-printable, base64. */
  encoding?: string | undefined;
  charset?: string | undefined;
  /** True when the server already undid the transfer encoding (FETCH BINARY, RFC 3516). */
  binary?: boolean;
  /** The Content-Type `format` parameter; "flowed" means soft line breaks to undo (RFC 3676 §4.1). */
  format?: string | undefined;
  /** The Content-Type `delsp` parameter; "yes" means the space before a soft break was added and goes (RFC 3676 §4.2). */
  delsp?: string | undefined;
}

/**
 * Bytes of a text part → string: transfer encoding undone, charset chosen by resolveCharset (a label that does not
 * fit the bytes is not trusted), and with `format=flowed` the soft line breaks joined (RFC 3676; `delsp=yes` removes
 * the space before each). Never throws: unknown charsets fall back to UTF-8 or windows-1252 by the bytes.
 */
export function decodeTextPart(raw: Buffer, how: PartEncoding): string {
  let bytes = raw;
  if (!how.binary) {
    const cte = (how.encoding ?? '7bit').toLowerCase().trim();
    // A part truncated by a size cap may end in a partial quantum; both decoders tolerate it.
    if (cte === 'base64') bytes = decodeBase64(raw.toString('latin1'));
    else if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(raw.toString('latin1'));
  }
  const charset = resolveCharset(bytes, how.charset);
  let text: string;
  try {
    text = decodeCharset(bytes, charset);
  } catch {
    text = bytes.toString('utf8');
  }
  if (how.format?.trim().toLowerCase() === 'flowed') {
    text = libmime.decodeFlowed(text.replace(/\r\n?/g, '\n'), how.delsp?.trim().toLowerCase() === 'yes');
  }
  return text;
}

/** Labels that promise nothing beyond ASCII: what an IMAP server reports for a text part without charset= (Dovecot says us-ascii). */
const NO_LABEL =
  /^(?:|us-?ascii|ascii|ansi_x3\.4-19(?:68|86)|iso646-us|us|csascii|7bit|8bit|default|unknown|x-unknown)$/;
const UTF8_LABEL = /^(?:utf-?8|unicode-1-1-utf-8|x-utf-?8)$/;
/** The WHATWG Encoding Standard decodes all of these as windows-1252: mail labelled Latin-1 is very often cp1252 (“smart quotes”, …). */
const LATIN1_LABEL = /^(?:iso[-_ ]?8859-?1(?::1987)?|iso-ir-100|latin-?1|l1|cp819|ibm819|csisolatin1|iso88591)$/;
const UTF16_LABEL = /^(?:utf-?(?:16|32)(?:[bl]e)?|ucs-?2|ucs-?4|unicode)$/;
/** Legacy multi-byte charsets, whose byte pairs can look like UTF-8 by chance more easily than single-byte text can. */
const MULTIBYTE_LABEL =
  /^(?:big5|cp950|gb|cp936|euc|x-euc|shift[-_]?jis|sjis|ms_kanji|cp932|windows-31j|cp949|ks_c|ksc|uhc|hz|windows-9(?:32|36|49|50))/;

/**
 * The charset to decode `bytes` with, given the part's label. The label is evidence, not the answer:
 * - 7-bit bytes with ISO 2022 escape sequences (ESC $ B …) are ISO-2022-JP/KR/CN whatever the label says, which
 *   covers Japanese mail sent without charset= (read as us-ascii, RFC 2045 §5.2);
 * - bytes that are valid UTF-8 with multi-byte sequences are UTF-8 under a missing, ASCII, Latin or other legacy label
 *   (a Big5 or us-ascii label on UTF-8 text is a common client bug; legacy text is almost never valid UTF-8 by chance);
 * - a UTF-8 or missing label on bytes that hold no valid UTF-8 sequence at all is windows-1252;
 * - ISO-8859-1 is read as windows-1252 (WHATWG Encoding Standard), an unknown label by the bytes.
 * Returns a name libmime's charset decoder accepts.
 */
export function resolveCharset(bytes: Uint8Array, label: string | undefined): string {
  const name = (label ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  if (UTF16_LABEL.test(name)) return name;
  const escapes = iso2022(bytes);
  let high = false;
  for (const b of bytes) {
    if (b >= 0x80) {
      high = true;
      break;
    }
  }
  if (!high) return escapes ?? 'utf-8';
  const utf8 = utf8Shape(bytes);
  const validUtf8 = utf8.invalid === 0 && utf8.multibyte > 0;
  if (NO_LABEL.test(name) || UTF8_LABEL.test(name) || !known(name)) {
    return utf8.multibyte === 0 ? 'windows-1252' : 'utf-8';
  }
  if (validUtf8) {
    if (!MULTIBYTE_LABEL.test(name)) return 'utf-8';
    // Two or more UTF-8 sequences, or a label decoding that does not fit the bytes, rule the label out.
    if (utf8.multibyte >= 2 || decodeCharset(Buffer.from(bytes), name).includes('\ufffd')) return 'utf-8';
  }
  return LATIN1_LABEL.test(name) ? 'windows-1252' : name;
}

function known(name: string): boolean {
  const canonical = normalizeCharset(name);
  return /^jis|^iso-?2022-?jp|^eucjp/i.test(canonical) || iconv.encodingExists(canonical);
}

/** Which ISO 2022 charset the escape sequences in 7-bit bytes designate (RFC 1468, RFC 1557, RFC 1922), or null. */
function iso2022(bytes: Uint8Array): string | null {
  for (let at = bytes.indexOf(0x1b); at >= 0; at = bytes.indexOf(0x1b, at + 1)) {
    // The designation after ESC, as text: "$B", "$@", "(J", "$(D", "(I" (Japanese), "$)C" (Korean), "$)A" (Chinese).
    const seq = String.fromCharCode(...bytes.subarray(at + 1, at + 4));
    if (/^(?:\$[@B]|\$\(D|\([JI])/.test(seq)) return 'iso-2022-jp';
    if (seq.startsWith('$)C')) return 'iso-2022-kr';
    if (/^\$\)[AG]/.test(seq)) return 'iso-2022-cn';
  }
  return null;
}

/** Counts of well-formed multi-byte UTF-8 sequences and of ill-formed bytes; a sequence cut off at the end (a size cap) is not ill-formed. */
function utf8Shape(bytes: Uint8Array): { multibyte: number; invalid: number } {
  let multibyte = 0;
  let invalid = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) {
      invalid++;
      i++;
      continue;
    }
    let ok = true;
    let j = 1;
    for (; j <= need && i + j < bytes.length; j++) {
      const c = bytes[i + j] as number;
      if (c < 0x80 || c > 0xbf) {
        ok = false;
        break;
      }
    }
    if (ok && j <= need) break; // cut off at the end
    if (ok) {
      multibyte++;
      i += need + 1;
    } else {
      invalid++;
      i++;
    }
  }
  return { multibyte, invalid };
}
