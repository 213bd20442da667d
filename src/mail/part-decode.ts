// Decodes a fetched MIME body part (pure): Content-Transfer-Encoding, then charset.

import { decode as decodeBase64 } from 'libbase64';
import { decode as decodeCharset } from 'libmime/lib/charset';
import { decode as decodeQuotedPrintable } from 'libqp';

export interface PartEncoding {
  /** Content-Transfer-Encoding: 7bit, 8bit, binary, quoted-printable, base64. */
  encoding?: string | undefined;
  charset?: string | undefined;
  /** True when the server already undid the transfer encoding (FETCH BINARY, RFC 3516). */
  binary?: boolean;
}

/**
 * Bytes of a text part → string. Unknown charsets fall back to UTF-8 (libmime's rule), so
 * a mislabelled part yields replacement characters, never an exception.
 */
export function decodeTextPart(raw: Buffer, how: PartEncoding): string {
  let bytes = raw;
  if (!how.binary) {
    const cte = (how.encoding ?? '7bit').toLowerCase().trim();
    // A part truncated by a size cap may end in a partial quantum; both decoders tolerate it.
    if (cte === 'base64') bytes = decodeBase64(raw.toString('latin1'));
    else if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(raw.toString('latin1'));
  }
  const charset = how.charset?.trim() || 'utf-8';
  try {
    return decodeCharset(bytes, charset);
  } catch {
    return bytes.toString('utf8');
  }
}
