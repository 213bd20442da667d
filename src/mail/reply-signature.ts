// Finds the signature at the end of what the author wrote (pure): delimiters, disclaimers, contact blocks, learned
// own signatures; the sign-off line ("Best, Anna") is never part of it.
import {
  cleanLine,
  hasContactMarker,
  isBlank,
  isDisclaimer,
  isNameLike,
  isRuleLine,
  isSignatureDelimiter,
  isSignatureLike,
  signOff,
} from './quote-patterns.js';
import { SIGNATURE_MARK } from './reply-scan.js';

export interface SignatureSplit {
  /** The author's lines with the signature removed. */
  lines: string[];
  /** The removed block, trimmed, or null when nothing was removed. */
  signature: string | null;
}

/** How far from the end a signature may start, in non-blank lines; a "signature" longer than this is a message. */
const MAX_SIGNATURE_LINES = 20;

/** One learned or given signature block in comparable form: lines trimmed, spaces collapsed, lower case. */
export function signatureKey(block: string): string[] {
  return block
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => cleanLine(l).trim().replace(/\s+/g, ' ').toLowerCase())
    .filter((l) => l !== '');
}

/** Splits the signature off the end of `lines` (the authored part of a body, quotes already removed). */
export function splitSignature(lines: readonly string[], ownSignatures: readonly string[][] = []): SignatureSplit {
  const work = lines.slice();
  const nonBlank = (from: number, to: number) => {
    let count = 0;
    for (let k = from; k < to; k++) if (!isBlank(work[k] ?? '')) count++;
    return count;
  };
  let end = lastContentEnd(work, work.length);
  let cut = end;

  // 1. A client's signature container (HTML) or the "-- " delimiter (RFC 3676 §4.3): everything after it.
  const mark = work.indexOf(SIGNATURE_MARK);
  if (mark >= 0 && nonBlank(0, mark) > 0) cut = keepLeadingSignOff(work, mark, end);
  else {
    for (let k = firstCandidate(work, end); k < end; k++) {
      if (isSignatureDelimiter(work[k] ?? '') && nonBlank(0, k) > 0 && nonBlank(k + 1, end) <= MAX_SIGNATURE_LINES) {
        cut = k;
        break;
      }
    }
  }
  end = lastContentEnd(work, cut);

  // 2. Peel boilerplate off the end until nothing more comes off: disclaimers, own signatures, rules, and a rule
  //    followed by a short contact block ("————\nAnna Jansen\nAcme B.V.\n+31 …").
  for (let changed = true, rounds = 0; changed && end > 0 && rounds < 8; rounds++) {
    changed = false;
    const para = paragraphStart(work, end);
    const ownAt = ownSignatureStart(work, end, ownSignatures);
    let next = end;
    if (ownAt !== null) next = ownAt;
    else if (isRuleLine(work[end - 1] ?? '')) next = end - 1;
    else if (para > 0 && isDisclaimer(work.slice(para, end).join(' '))) next = para;
    else if (para > 0) {
      const from = disclaimerStart(work, end);
      if (from !== null) next = from;
    }
    if (next === end) {
      const rule = ruleBeforeSignature(work, end);
      if (rule !== null) next = rule;
    }
    if (next < end && nonBlank(0, next) > 0) {
      end = lastContentEnd(work, next);
      cut = Math.min(cut, next);
      changed = true;
    }
  }

  // 3. The sign-off stays; a contact block under it goes. Without a sign-off, a trailing paragraph of contact
  //    details goes whole (name included), and so does a lone "-Name" line (talon's and GitHub's dash signature).
  const off = lastSignOff(work, end);
  if (off !== null) {
    const keepTo = signOffEnd(work, off, end);
    if (keepTo < end && tailIsSignature(work, keepTo, end)) cut = Math.min(cut, keepTo);
  } else {
    const para = paragraphStart(work, end);
    if (para > 0 && nonBlank(0, para) > 0 && isContactBlock(work, para, end)) cut = Math.min(cut, para);
    else if (isDashName(work, end)) cut = Math.min(cut, end - 1);
  }

  const kept = work.slice(0, cut);
  while (kept.length > 0 && (isBlank(kept[kept.length - 1] ?? '') || isRuleLine(kept[kept.length - 1] ?? ''))) {
    kept.pop();
  }
  const removed = lines
    .slice(kept.length)
    .filter((l) => l !== SIGNATURE_MARK)
    .join('\n')
    .trim();
  const signature = removed === '' || removed.split('\n').every((l) => isBlank(l) || isRuleLine(l)) ? null : removed;
  return { lines: kept, signature };
}

/**
 * Where a disclaimer that runs to the end starts when it is not a paragraph of its own (double-spaced text puts
 * every line in a paragraph), looking at most MAX_SIGNATURE_LINES * 2 non-blank lines back. One test on the whole
 * tail first, so mail without a disclaimer pays for one regex run.
 */
function disclaimerStart(lines: readonly string[], end: number): number | null {
  let from = end;
  let count = 0;
  while (from > 0 && count < MAX_SIGNATURE_LINES * 2) {
    from--;
    if (!isBlank(lines[from] ?? '')) count++;
  }
  if (!isDisclaimer(lines.slice(from, end).join(' '))) return null;
  // The earliest line where a disclaimer phrase begins (within the next few lines, as phrases wrap).
  for (let k = from; k < end; k++) {
    if (!isBlank(lines[k] ?? '') && isDisclaimer(lines.slice(k, Math.min(end, k + 4)).join(' '))) {
      return k > 0 ? k : null;
    }
  }
  return null;
}

/** Index after the last non-blank line before `to`. */
function lastContentEnd(lines: readonly string[], to: number): number {
  let e = to;
  while (e > 0 && isBlank(lines[e - 1] ?? '')) e--;
  return e;
}

/** Start of the paragraph (run of non-blank lines) that ends at `end`. */
function paragraphStart(lines: readonly string[], end: number): number {
  let s = end;
  while (s > 0 && !isBlank(lines[s - 1] ?? '')) s--;
  return s;
}

/** Index of the earliest line that can still start a signature (MAX_SIGNATURE_LINES non-blank lines back). */
function firstCandidate(lines: readonly string[], end: number): number {
  let count = 0;
  let k = end;
  while (k > 0 && count < MAX_SIGNATURE_LINES + 1) {
    k--;
    if (!isBlank(lines[k] ?? '')) count++;
  }
  return k;
}

/** Inside a signature container, a sign-off on its first lines stays with the text. */
function keepLeadingSignOff(lines: readonly string[], mark: number, end: number): number {
  let k = mark + 1;
  while (k < end && isBlank(lines[k] ?? '')) k++;
  if (k < end && signOff(lines[k] ?? '') !== null) return signOffEnd(lines, k, end);
  return mark;
}

/** Where a learned own signature starts, when the text ends with it; null otherwise. */
function ownSignatureStart(lines: readonly string[], end: number, own: readonly string[][]): number | null {
  for (const sig of own) {
    if (sig.length === 0) continue;
    let k = end;
    let matched = 0;
    for (let s = sig.length - 1; s >= 0; s--) {
      while (k > 0 && isBlank(lines[k - 1] ?? '')) k--;
      if (k === 0) break;
      const line = cleanLine(lines[k - 1] ?? '')
        .trim()
        .replace(/\s+/g, ' ')
        .toLowerCase();
      if (line !== sig[s]) break;
      k--;
      matched++;
    }
    if (matched === sig.length) return k;
  }
  return null;
}

/** A rule line ("————", "-----", "___") followed only by a short signature-like block; its index or null. */
function ruleBeforeSignature(lines: readonly string[], end: number): number | null {
  let count = 0;
  for (let k = end - 1; k > 0 && count <= 10; k--) {
    const line = lines[k] ?? '';
    if (isBlank(line)) continue;
    if (isRuleLine(line)) return count > 0 ? k : null;
    if (!isSignatureLike(line)) return null;
    count++;
  }
  return null;
}

/** The last sign-off line among the last eight non-blank lines, when only a signature-like block follows it. */
function lastSignOff(lines: readonly string[], end: number): number | null {
  let count = 0;
  for (let k = end - 1; k >= 0 && count < 8; k--) {
    const line = lines[k] ?? '';
    if (isBlank(line)) continue;
    count++;
    if (signOff(line) !== null) return k;
    if (!isSignatureLike(line)) return null;
  }
  return null;
}

/** Index after the sign-off: the valediction line, plus the name line under "Best," when there is one. */
function signOffEnd(lines: readonly string[], off: number, end: number): number {
  const parsed = signOff(lines[off] ?? '');
  if (!parsed || parsed.withName) return off + 1;
  let k = off + 1;
  while (k < end && k <= off + 2 && isBlank(lines[k] ?? '')) k++;
  return k < end && isNameLike(lines[k] ?? '') ? k + 1 : off + 1;
}

/** Whether lines [from, end) are a signature block: few, short, signature-like lines. */
function tailIsSignature(lines: readonly string[], from: number, end: number): boolean {
  let count = 0;
  for (let k = from; k < end; k++) {
    const line = lines[k] ?? '';
    if (isBlank(line)) continue;
    if (!isSignatureLike(line) && !isRuleLine(line)) return false;
    count++;
  }
  return count > 0 && count <= 12;
}

/** A trailing paragraph of contact details: 2–8 signature-like lines, at least one with a phone, address or URL. */
function isContactBlock(lines: readonly string[], start: number, end: number): boolean {
  const count = end - start;
  if (count < 2 || count > 8) return false;
  let contact = false;
  for (let k = start; k < end; k++) {
    const line = lines[k] ?? '';
    if (!isSignatureLike(line)) return false;
    if (hasContactMarker(line)) contact = true;
  }
  return contact;
}

/** The last line is "-Name" / "- Name" / "/Name" and not the last item of a dash list. */
function isDashName(lines: readonly string[], end: number): boolean {
  const last = cleanLine(lines[end - 1] ?? '').trim();
  const m = /^[-–—/]\s?(\p{L}[\p{L}.'’ -]{0,30})$/u.exec(last);
  if (!m || (m[1] ?? '').trim().split(/\s+/).length > 3) return false;
  let k = end - 2;
  while (k >= 0 && isBlank(lines[k] ?? '')) k--;
  if (k < 0) return false;
  return !/^\s*[-–—*•/]/.test(lines[k] ?? '');
}
