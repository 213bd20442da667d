// Finds the signature at the end of what the author wrote (pure): delimiters, disclaimers, contact blocks, learned
// own signatures; the sign-off line ("Best, Anna") is never part of it.
import {
  cleanLine,
  hasContactMarker,
  isAddressLine,
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
        // "-- " is the standard delimiter (RFC 3676 §4.3); a lone "---" or dash is often a paragraph break, so it
        // only counts when what follows reads as a signature.
        if (!isStrongDelimiter(work[k] ?? '') && !tailIsSignature(work, k + 1, end)) continue;
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
  //    details goes whole (name included). A sign-off written as "/ Jef", "//Jef", "—Ryan" or "-Anna" is the
  //    author's voice, and stays: the dataset learns how the user signs. (GitHub's and talon's corpora hide a lone
  //    "-Name" as a signature, crisp's keeps it on the same input; bench/quotes-conventions.ts records the dispute.)
  const off = lastSignOff(work, end);
  if (off !== null) {
    const keepTo = signOffEnd(work, off, end);
    if (keepTo < end && tailIsSignature(work, keepTo, end)) cut = Math.min(cut, keepTo);
  } else {
    // A signature may run over several paragraphs (name and title; street and city; phone and fax): peel them.
    for (let round = 0; round < 4; round++) {
      const para = paragraphStart(work, end);
      if (!(para > 0 && nonBlank(0, para) > 0 && (isContactBlock(work, para, end) || isAddressBlock(work, para, end))))
        break;
      // "Vince" directly above "Vincent Kaminski / Managing Director / …": the name signed with stays.
      const from = signedNameAbove(work, para, end) ? para + 1 : para;
      cut = Math.min(cut, from);
      end = lastContentEnd(work, from);
      if (from > para) break;
    }
    // "Vince" then, after a blank line, "Vince Kaminski": the full name under the name signed with is a signature.
    const full = fullNameUnderName(work, end);
    if (full !== null && nonBlank(0, full) > 0) cut = Math.min(cut, full);
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
  if (count < 2 || count > 8 || namesATime(lines, start, end)) return false;
  let contact = false;
  for (let k = start; k < end; k++) {
    const line = lines[k] ?? '';
    if (!isSignatureLike(line)) return false;
    if (hasContactMarker(line)) contact = true;
  }
  return contact;
}

/** The block [para, end) opens with a lone first name ("Vince") above a longer block that starts with a full name. */
function signedNameAbove(lines: readonly string[], para: number, end: number): boolean {
  if (end - para < 3) return false;
  const first = cleanLine(lines[para] ?? '').trim();
  const next = cleanLine(lines[para + 1] ?? '').trim();
  if (!/^\p{Lu}[\p{L}'’-]{1,20}$/u.test(first)) return false;
  const given = (next.split(/\s+/)[0] ?? '').toLowerCase();
  const signed = first.toLowerCase();
  return isNameLike(next) && (given.startsWith(signed) || signed.startsWith(given));
}

/** "-- " (RFC 3676 §4.3, also written without the space): always a signature delimiter. */
function isStrongDelimiter(line: string): boolean {
  return cleanLine(line).trim() === '--';
}

/**
 * A trailing paragraph that is a postal address or a title block, even without phone or e-mail: 2–8 short lines, at
 * least two of them address or title lines ("1400 Smith Street", "Room EB1962", "Houston, TX 77002-7361",
 * "Managing Director - Research", "Enron Corp.").
 */
function isAddressBlock(lines: readonly string[], start: number, end: number): boolean {
  const count = end - start;
  if (count < 2 || count > 8 || namesATime(lines, start, end)) return false;
  let marked = 0;
  for (let k = start; k < end; k++) {
    const line = lines[k] ?? '';
    if (!isSignatureLike(line)) return false;
    if (hasContactMarker(line) || isAddressLine(line)) marked++;
  }
  return marked >= 2;
}

// A time of day: "9:30 am", "14:00", "3.15 p.m.".
const TIME_OF_DAY = /\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\b(?:1[0-2]|0?\d)(?:[:.][0-5]\d)?\s?[ap]\.?m\b\.?/i;

/**
 * Whether a paragraph names a time of day: then it is an appointment or meeting the author is describing ("10/19 @
 * 9:30 am for physical therapy / 1517 4th Avenue / London CA 19129"), not the address of a signature, even when its
 * other lines read as street, city and phone.
 */
function namesATime(lines: readonly string[], start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (TIME_OF_DAY.test(cleanLine(lines[k] ?? ''))) return true;
  return false;
}

/**
 * The last line is the author's full name ("Vince Kaminski") and the line above it, after a blank line, is the
 * shorter name they signed with ("Vince"): the index of the full-name line, else null.
 */
function fullNameUnderName(lines: readonly string[], end: number): number | null {
  const last = cleanLine(lines[end - 1] ?? '').trim();
  if (end < 3 || !isBlank(lines[end - 2] ?? '')) return null;
  let k = end - 2;
  while (k > 0 && isBlank(lines[k] ?? '')) k--;
  const signed = cleanLine(lines[k] ?? '').trim();
  if (k > 0 && !isBlank(lines[k - 1] ?? '') && signOff(lines[k - 1] ?? '') === null) return null;
  const words = last.split(/\s+/);
  if (words.length < 2 || words.length > 4 || !isNameLike(last) || !words.every((w) => /^\p{Lu}/u.test(w))) return null;
  const first = (words[0] ?? '').toLowerCase();
  const name = signed.replace(/^[-–—/\s]+/, '').toLowerCase();
  if (!isNameLike(signed) || name.includes(' ') || name.length < 2) return null;
  return first.startsWith(name) || name.startsWith(first) ? end - 1 : null;
}

/**
 * Where the sign-off starts in the author's text (signature already removed): a valediction among the last three
 * non-blank lines with at most a name line or two under it ("Best regards,\nAnna"), a dash or slash name as the last
 * line ("/ Jef", "//Jef", "—Ryan", "-Anna"), or a lone name as the last paragraph ("Vince"). Null when there is none.
 */
export function signOffStart(lines: readonly string[]): number | null {
  const end = lastContentEnd(lines, lines.length);
  if (end === 0) return null;
  let seen = 0;
  for (let k = end - 1; k >= 0 && seen < 3; k--) {
    const line = lines[k] ?? '';
    if (isBlank(line)) continue;
    seen++;
    if (signOff(line) !== null) return k > 0 ? k : null;
    if (!isNameLike(line.replace(/^[-–—/\s]+/, ''))) break;
  }
  const last = cleanLine(lines[end - 1] ?? '').trim();
  if (/^(?:[-–—]|\/{1,2})\s?\p{L}[\p{L}.'’ -]{0,30}$/u.test(last) && end > 1) return end - 1;
  const para = paragraphStart(lines, end);
  if (para === end - 1 && para > 0 && isNameLike(last) && /^\p{Lu}/u.test(last) && last.split(/\s+/).length <= 3) {
    return para;
  }
  return null;
}
