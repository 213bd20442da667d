// The lines a quoted header block's Subject wrapped onto (Outlook and Lotus Notes wrap a long subject at the text
// width without the RFC 5322 folding whitespace), so that they are read as the subject, not as the quoted text.
import {
  cleanLine,
  headerLine,
  isBlank,
  isForwardLine,
  isOriginalMessageLine,
  isQuotedLine,
} from './quote-patterns.js';

/** A subject line at least this long (as written, label included) was likely wrapped by its client. */
const WRAP_WIDTH = 50;
/** At most this many continuation lines; a longer run is the quoted text. */
const MAX_CONTINUATION_LINES = 2;
/** A continuation is a piece of a subject, not a paragraph. */
const MAX_CONTINUATION_CHARS = 80;

/**
 * The continuation lines (trimmed, 0 to 2) of the Subject field written on `lines[start - 1]`, starting at `start`.
 * They must come right under it, end at a blank line (or the end of the text), and either be indented (folded, RFC
 * 5322 §2.2.3) or follow a subject line long enough to have been wrapped; a greeting, a sentence ending in . ? !, a
 * header line, a `>` line or a separator is never one. Pure; never throws.
 */
export function subjectContinuation(lines: readonly string[], start: number): string[] {
  const subjectLine = cleanLine(lines[start - 1] ?? '').trimEnd();
  const out: string[] = [];
  let j = start;
  for (; j < lines.length && out.length <= MAX_CONTINUATION_LINES; j++) {
    const raw = lines[j] ?? '';
    if (isBlank(raw)) break;
    out.push(raw);
  }
  if (out.length === 0 || out.length > MAX_CONTINUATION_LINES) return [];
  const folded = out.every((l) => /^\s/.test(l));
  if (!folded && subjectLine.length < WRAP_WIDTH) return [];
  const ok = out.every((raw) => {
    const t = cleanLine(raw).trim();
    return (
      t.length > 0 &&
      t.length <= MAX_CONTINUATION_CHARS &&
      headerLine(raw) === null &&
      // A field this client names but we do not know ("Sensitivity:\tConfidential", "Categories: x"): not the subject.
      !/^[\p{L}-]{2,30}\s*:(?:\s|$)/u.test(t) &&
      !isQuotedLine(raw) &&
      !isOriginalMessageLine(raw) &&
      !isForwardLine(raw) &&
      !/^[-_=*~–—]{2,}/.test(t) &&
      !/[,:;]$/.test(t) &&
      (folded || !/[.?!]$/.test(t)) &&
      !/^(?:hi|hello|hey|dear|hallo|hola|bonjour|ciao|good (?:morning|afternoon|evening))\b/i.test(t)
    );
  });
  return ok ? out.map((l) => cleanLine(l).trim()) : [];
}
