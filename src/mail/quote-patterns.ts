// Line patterns for reply extraction (pure): attribution lines, header blocks, separators, forward markers, mobile
// footers, sign-offs and disclaimers. The technique is here; the words of each language are in src/mail/locales/, and
// the patterns are compiled from them once, when this module loads.
//
// Every pattern is applied to one line (or a few joined lines) no longer than MAX_PATTERN_LINE: callers treat longer
// lines as plain content, so no pattern here can be driven into quadratic backtracking by a huge line.

import { type HeaderField, LOCALES, type MailPhrases, mergeLocales } from './locales/index.js';
import { alternation } from './regex-text.js';

export type { HeaderField } from './locales/index.js';

/** Every known language's phrases, merged once. */
const PHRASES: MailPhrases = mergeLocales(LOCALES);

/** Lines longer than this are never an attribution, header, separator or footer. */
export const MAX_PATTERN_LINE = 400;

/** Zero-width space and BOM carry nothing; no-break spaces are spaces (clients put them around header keys). */
export function cleanLine(line: string): string {
  if (!/[\u00a0\u200b\u202f\ufeff]/.test(line)) return line;
  return line.replace(/[\u200b\ufeff]/g, '').replace(/[\u00a0\u202f]/g, ' ');
}

/**
 * Marks that show nothing or next to nothing: zero-width characters, soft hyphen, word joiner, and U+1427 "ᐧ", which
 * Gmail's tracking extensions put on a line of its own under the text. A line of only these is blank.
 */
const INVISIBLE_LINE = /^(?:[\s\u00ad\u1427\u180e\u200b-\u200f\u2060-\u2064\ufeff]|\u034f)*$/;

export function isBlank(line: string): boolean {
  return INVISIBLE_LINE.test(line);
}

/** Whether a line is `>`-quoted (RFC 3676 §4.5 quote marker; leading spaces tolerated as Outlook and Apple write). */
export function isQuotedLine(line: string): boolean {
  const i = firstNonSpace(line);
  return i < line.length && line[i] === '>';
}

/** Removes one level of `>` quoting (and the space that follows the marker). */
export function unquoteOnce(line: string): string {
  const i = firstNonSpace(line);
  if (line[i] !== '>') return line;
  return line[i + 1] === ' ' ? line.slice(i + 2) : line.slice(i + 1);
}

function firstNonSpace(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

/** `s` without leading and trailing characters from `chars` (a loop: end-anchored regexes backtrack on long runs). */
export function trimChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a] ?? '')) a++;
  while (b > a && chars.includes(s[b - 1] ?? '')) b--;
  return s.slice(a, b);
}

// ---------------------------------------------------------------------------------------------------------------
// Attribution lines: "On Tue, 3 Jan 2023 at 10:12, Ann <a@b> wrote:" and its translations, as written by Gmail,
// Apple Mail, Thunderbird, Outlook for Mac, Android and webmail clients.

/** The patterns that recognise attribution lines, compiled from a set of languages' phrases. */
export interface AttributionPatterns {
  /** A closing verb at the end ("… wrote:"). */
  verbEnd: RegExp;
  /** A weak closing verb at the end ("… sent:"), which needs an address as well. */
  weakVerbEnd: RegExp;
  /** A closing verb mid-line, before the sender's name ("schreef Ann <a@b>:"). */
  verbMid: RegExp;
  /** A start word at the beginning ("On", "Am", "W dniu"). */
  startWords: RegExp;
  /** A date or time somewhere in the text: "10:12", "2023", "03.01.23", "Jan 3", "3 janv.", "2023年". */
  dateish: RegExp;
  /** Start words glued to reply text mid-line ("thanks! On Wed, …"), capitalised, global. */
  midLineStart: RegExp;
  /** Last words of the verbs ("a écrit" → "écrit"), for a cheap test before any regex runs. */
  verbLastWords: ReadonlySet<string>;
}

/**
 * Compiles the attribution patterns from merged locale phrases (see mergeLocales in src/mail/locales). The module's own
 * functions use the patterns of every known language; pass the result to isAttribution to try another set.
 */
export function attributionPatterns(phrases: MailPhrases): AttributionPatterns {
  const verbs = alternation(phrases.verbs);
  const weak = alternation(phrases.weakVerbs);
  const months = alternation(phrases.monthAbbreviations);
  return {
    verbEnd: new RegExp(`(?:^|[\\s,"'>)\\]])(?:${verbs})\\s*[:：]?$`, 'iu'),
    weakVerbEnd: new RegExp(`(?:^|[\\s,"'>)\\]])(?:${weak})\\s*[:：]?$`, 'iu'),
    verbMid: new RegExp(`(?:^|[\\s,"'>])(?:${verbs})(?=[\\s:：])`, 'iu'),
    startWords: new RegExp(`^(?:${alternation(phrases.startWords)})(?=[\\s,])`, 'iu'),
    dateish: new RegExp(
      `\\d{1,2}[:.h]\\d{2}(?!\\d)|(?:^|\\D)(?:19|20)\\d{2}(?!\\d)|\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}|[年月]|(?:^|[^\\p{L}])(?:${months})\\p{L}*\\.?\\s*\\d{1,2}(?!\\d)|\\d{1,2}\\.?\\s*(?:${months})`,
      'iu',
    ),
    midLineStart: new RegExp(`(?:[\\s\\-–—]|^)(${alternation(phrases.midLineStartWords)})\\s`, 'g'),
    verbLastWords: new Set([...phrases.verbs, ...phrases.weakVerbs].map((v) => v.split(' ').pop()?.toLowerCase() ?? v)),
  };
}

/** The attribution patterns of every known language. */
const ATTRIBUTION = attributionPatterns(PHRASES);
const START_WORDS = ATTRIBUTION.startWords;
const DATEISH = ATTRIBUTION.dateish;
const EMAIL = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/;
const EMAIL_END_COLON = /@[\w-]+(?:\.[\w-]+)+[>)\]\s]*[:：]$/;
const EMAIL_END = /@[\w-]+(?:\.[\w-]+)+[>)\]]*$/;

/** Collapses whitespace and the "< a@b >" / "a@b\n>:" breaks that wrapped attributions leave behind. */
export function normaliseAttribution(text: string): string {
  const collapsed = cleanLine(text).replace(/\s+/g, ' ').replace(/<\s+/g, '<').replace(/\s+>/g, '>');
  return trimChars(collapsed, ' >*-–—•|\t');
}

/**
 * Cheap pre-check on a raw line: an attribution has a colon, ends in dashes or an address, or ends with one of the
 * verbs. Most lines of prose fail it without running a regex.
 */
export function mayBeAttributionLine(line: string, p: AttributionPatterns = ATTRIBUTION): boolean {
  if (line.length > MAX_PATTERN_LINE * 2) return false;
  if (line.includes(':') || line.includes('：') || line.includes('@')) return true;
  const t = line.trimEnd();
  const last = t[t.length - 1];
  if (last === '-' || last === '—' || last === '–') return true;
  const word = t.slice(t.lastIndexOf(' ') + 1).toLowerCase();
  return p.verbLastWords.has(word);
}

/**
 * Whether `raw` (one line, or a few wrapped lines joined by spaces) is an attribution line. `nextIsQuoted`: the first
 * line after it is `>`-quoted, which lets a date-and-address line without verb or colon count (Gmail, 2011).
 * `p`: the languages' patterns (default: every known language; see attributionPatterns).
 */
export function isAttribution(raw: string, nextIsQuoted: boolean, p: AttributionPatterns = ATTRIBUTION): boolean {
  if (raw.length > MAX_PATTERN_LINE * 2) return false;
  const t = normaliseAttribution(raw);
  if (t.length < 6 || t.length > MAX_PATTERN_LINE) return false;
  // Android and Zoho wrap it in dashes: "---- John Smith wrote ----", "---- On Wed, … wrote ----".
  const lead = trimChars(cleanLine(raw), ' \t>');
  const dashWrapped = /^[-–—]{2,}/.test(lead) && /[-–—]{2}$/.test(lead.trimEnd());
  const endsColon = t.endsWith(':') || t.endsWith('：');
  const hasEmail = t.includes('@') && EMAIL.test(t);
  const hasDate = p.dateish.test(t);
  const startWord = p.startWords.test(t);
  const dateFirst = /\d/.test(t.slice(0, 16));

  if (p.verbEnd.test(t)) {
    // "Marco ha scritto:" introduces a quote when `>` lines follow; above unmarked text ("Something wrote:\nDuis …")
    // a name and a verb alone are too weak to cut the rest of the message.
    if (endsColon) return startWord || hasDate || hasEmail || dashWrapped || (nextIsQuoted && namedOnly(t, p.verbEnd));
    return dashWrapped || (startWord && (hasDate || hasEmail));
  }
  if (p.weakVerbEnd.test(t)) return hasEmail && (startWord || hasDate);
  if (endsColon && p.verbMid.test(t)) {
    // "Op 3 jan. om 10:12 schreef Ann <a@b>:", and name first: "Ann <a@b> schrieb am Do., 20. Juni 2024, 14:49:".
    if ((startWord || dateFirst) && (hasDate || hasEmail)) return true;
    if (hasEmail && hasDate) return true;
  }
  // A verb not listed: "Op 24 feb. 2015 om 22:48 heeft Jan <jan@x.nl> geschreven:", "Ann <a@b> kirjoitti 3.1.2023 klo
  // 10.12:". An address, a clock time or year, and a colon at the end, with at most three words after the address
  // (or the address right after the name at the start) is how clients write it; prose rarely has all of them.
  if (endsColon && hasEmail && TIME_OR_YEAR.test(t) && (startWord || dateFirst || nameThenAddress(t))) {
    if (wordsAfterAddress(t) <= 3 || nameThenAddress(t)) return true;
  }
  // No verb at all: "2014-10-17 11:28 GMT+03:00 Ann <a@b>:", "26.06.2014, 14:41, "Ann" <a@b>:" (Yandex, Gmail),
  // "Thu, 26 Jun 2014 14:00:51 +0400 от Ann <a@b>:" (mail.ru).
  if (hasDate && dateFirst) {
    if (endsColon && EMAIL_END_COLON.test(t)) return true;
    if (!endsColon && nextIsQuoted && EMAIL_END.test(t)) return true;
    // "2014-10-17 11:28 GMT+03:00 Ann Example:" above quoted text (`>` or `|`): a date-first line ending in a colon.
    if (endsColon && nextIsQuoted && TIME_OR_YEAR.test(t) && t.length <= 120 && !/[.!?]\s/.test(t)) return true;
  }
  return false;
}

/** A clock time or a year: every client's attribution carries one, prose that merely mentions a day seldom does. */
const TIME_OR_YEAR = /\d{1,2}[:.h]\d{2}(?!\d)|(?:^|\D)(?:19|20)\d{2}(?!\d)/;

/** Words after the last e-mail address of an attribution (the verb: "geschreven:", "a écrit :"). */
function wordsAfterAddress(t: string): number {
  const m = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+[>)\]]*/g;
  let end = -1;
  for (let x = m.exec(t); x !== null; x = m.exec(t)) end = x.index + x[0].length;
  if (end < 0) return Number.POSITIVE_INFINITY;
  const tail = t
    .slice(end)
    .replace(/[:：]$/, '')
    .trim();
  return tail === '' ? 0 : tail.split(/\s+/).length;
}

/** "Ann Example <ann@x.org> …": the line opens with a name (capitalised words) and an address in brackets. */
function nameThenAddress(t: string): boolean {
  const m =
    /^["']?(\p{Lu}[\p{L}.'’-]*(?:[ ,]+[\p{L}.'’-]+){0,4})["']?\s*[<([](?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+[>)\]]/u.exec(
      t,
    );
  return m !== null;
}

/** "Marco ha scritto:", "Ann Example wrote:": a name (one to four capitalised words) and a verb, nothing else. */
function namedOnly(t: string, verbEnd: RegExp): boolean {
  const m = verbEnd.exec(t);
  if (!m) return false;
  const subject = t
    .slice(0, m.index + 1)
    .trim()
    .replace(/[,"']/g, '');
  // Every word capitalised (or a name particle): "Marco", "Jan de Vries", not "My colleague" or "Everyone here".
  return (
    subject.length > 0 &&
    subject.length <= 50 &&
    /^\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|van|von|de|der|den|di|da|du|del|della|dos|le|la|ten|ter|bin|al))*$/u.test(
      subject,
    ) &&
    subject.split(/\s+/).length <= 4 &&
    !/^(?:I|We|You|He|She|They|It|Everyone|Somebody|Someone|Nobody)$/i.test(subject.split(/\s+/)[0] ?? '')
  );
}

/** Cheap pre-check: could this line begin an attribution that wraps onto the next lines? */
export function mayStartAttribution(line: string): boolean {
  if (!/[\d@]/.test(line)) return false;
  const t = normaliseAttribution(line);
  if (t.length < 4 || t.length > MAX_PATTERN_LINE) return false;
  // A finished sentence does not continue as an attribution ("On Thursday, I get proper rendering.").
  if (/[.!?]$/.test(t) && !/\d\.$/.test(t)) return false;
  return DATEISH.test(t) || (t.includes('@') && EMAIL.test(t)) || (START_WORDS.test(t) && /\d/.test(t));
}

/** Whether a line opens with an attribution start word and carries a number ("On 3 Jan …", "Am 03.01.2023 …"). */
export function startsAttribution(line: string): boolean {
  if (line.length > MAX_PATTERN_LINE) return false;
  const t = normaliseAttribution(line);
  return START_WORDS.test(t) && /\d/.test(t);
}

/**
 * Where an attribution starts inside a line that also carries reply text ("reply--- On Wed, … wrote:"), or 0.
 * Only start words followed by a date qualify, so "Look at this" is never split.
 */
export function attributionStartInLine(line: string): number {
  const t = cleanLine(line);
  const lead = trimChars(t, ' \t>*-–—');
  if (START_WORDS.test(lead) || /^\d/.test(lead)) return 0;
  // One global regex, compiled once: its scan position is reset here, and nothing else uses it.
  const re = ATTRIBUTION.midLineStart;
  re.lastIndex = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    const at = m.index + m[0].length - (m[1]?.length ?? 0) - 1;
    if (at > 0 && DATEISH.test(t.slice(at))) return at;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Header blocks of a quoted or forwarded message: Outlook "From: … Sent: … To: … Subject:", localised, and the same
// in other clients (Lotus Notes, AOL, Yahoo, Zimbra, Windows Mail).

/** Localised header labels by the field they name, from every known language. */
const HEADER_KEYS: Record<HeaderField, readonly string[]> = PHRASES.headerLabels;

const KEY_TO_FIELD = new Map<string, HeaderField>();
for (const [field, keys] of Object.entries(HEADER_KEYS) as [HeaderField, readonly string[]][]) {
  for (const k of keys) if (!KEY_TO_FIELD.has(k)) KEY_TO_FIELD.set(k, field);
}
const ALL_KEYS = alternation([...KEY_TO_FIELD.keys()]);
// "*From:* x" (Gmail's plain text of a bold Outlook header), "De : x" (French spacing), "From:\tx" (Outlook 2000).
const HEADER_LINE = new RegExp(`^[\\s*_]*(${ALL_KEYS})[\\s*_]*[:：]`, 'iu');
// Mid-line, only unambiguous keys count: "a:", "de:" or "an:" inside a value are ordinary words.
const INLINE_KEYS = alternation([...KEY_TO_FIELD.keys()].filter((k) => k.length >= 3 || k === 'to' || k === 'cc'));
const INLINE_HEADER_KEY = new RegExp(`[\\s*](${INLINE_KEYS})[\\s*]*[:：]\\s`, 'iu');

export interface HeaderLine {
  field: HeaderField;
  value: string;
  /** Another header key on the same line ("From: a@b Date: …", how some HTML renders a header block). */
  inlineField: HeaderField | null;
}

/** The header field a line starts with ("From:", "Van:", "De :", "*Sent:*", …), or null. */
export function headerLine(line: string): HeaderLine | null {
  // The key is near the start; a long value (a To: line with forty recipients) is still a header line.
  const t = cleanLine(line.length > 4000 ? line.slice(0, 4000) : line);
  const m = HEADER_LINE.exec(t.length > 200 ? t.slice(0, 200) : t);
  if (!m) return null;
  const field = KEY_TO_FIELD.get((m[1] ?? '').toLowerCase().replace(/\s+/g, ' '));
  if (!field) return null;
  const value = trimChars(t.slice(m[0].length), ' \t*_');
  const inline = INLINE_HEADER_KEY.exec(` ${value.slice(0, MAX_PATTERN_LINE)}`);
  const inlineField = inline ? (KEY_TO_FIELD.get((inline[1] ?? '').toLowerCase()) ?? null) : null;
  return { field, value, inlineField };
}

// ---------------------------------------------------------------------------------------------------------------
// Sender-and-date lines that open a quoted message without "wrote:": Lotus Notes and Novell GroupWise.

/** Who and when, as written on a sender-and-date line. */
export interface SenderDate {
  /** The sender as written: `"Akers, Michelle" <michelle.akers@enron.com>`, `Ann Lee/HOU/ECT@ECT`. */
  who: string;
  /** The date and time as written: `09/27/2001 08:34:00 PM`, `10/03/01 02:56PM`. */
  date: string;
}

/** A numeric date and a time as Notes and GroupWise write them: "09/27/2001 08:34:00 PM", "10/03/01 02:56PM", "15.05.2000 17:14". */
const NUMERIC_DATE_TIME =
  '\\d{1,4}[/.-]\\d{1,2}[/.-]\\d{1,4},?\\s+\\d{1,2}[:.]\\d{2}(?:[:.]\\d{2})?(?:\\s*[AaPp]\\.?[Mm]\\.?)?(?:\\s+[A-Z]{2,5})?';
/**
 * A sender with an address: an optional name (quoted, or capitalised words) and an address, bare, in angle
 * brackets, or the Notes directory form "Ann Lee/HOU/ECT@ECT". A sentence ("Send it to bob@x.com") is not one.
 */
const NAME_AND_ADDRESS =
  '(?:"[^"]{0,80}"\\s*|(?:\\p{Lu}[\\p{L}.\'’-]*,?\\s+){0,5})' +
  "(?:<[^\\s<>@]+@[^\\s<>]+>(?:@[\\w-]+)?|[\\w.%+'-]+@[\\w-]+(?:\\.[\\w-]+)+|\\p{Lu}[\\p{L}.'’-]*(?:/[\\w&.-]+)*@[\\w-]+)";
const NOTES_SENDER_LINE = new RegExp(`^\\s*(${NAME_AND_ADDRESS})\\s+on\\s+(${NUMERIC_DATE_TIME})\\s*$`, 'u');
const GROUPWISE_LINE = new RegExp(
  `^\\s*>>>\\s*((?:"[^"]{0,80}"|[^"<>\\s][^"<>]{0,80}?)?\\s*(?:<[^\\s<>@]+@[^\\s<>]+>)?)\\s+(${NUMERIC_DATE_TIME})\\s*>>>\\s*$`,
  'u',
);

/**
 * Lotus Notes' sender line of a quoted or forwarded message, `"Akers, Michelle" <michelle.akers@enron.com> on
 * 09/27/2001 08:34:00 PM` (or `Ann Lee/HOU/ECT@ECT on 12/12/2000 11:56 AM`), usually followed by To:/cc:/Subject:
 * lines, sometimes by the text alone. Null for any other line, a sentence that ends in a date included.
 */
export function notesSenderLine(line: string): SenderDate | null {
  if (line.length > MAX_PATTERN_LINE) return null;
  const m = NOTES_SENDER_LINE.exec(cleanLine(line));
  return m ? { who: (m[1] ?? '').trim(), date: (m[2] ?? '').trim() } : null;
}

/**
 * Novell GroupWise's attribution, `>>> " ksw" <kswalker@sbcglobal.net> 10/03/01 02:56PM >>>` (the name and the
 * address each optional, the date and time required), above the quoted text, which it does not mark with `>`.
 */
export function groupWiseAttribution(line: string): SenderDate | null {
  if (line.length > MAX_PATTERN_LINE) return null;
  const m = GROUPWISE_LINE.exec(cleanLine(line));
  return m ? { who: (m[1] ?? '').trim(), date: (m[2] ?? '').trim() } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Separator lines.

// The phrases (localised, from src/mail/locales): "-----Original Message-----" (Outlook), "---------- Forwarded
// message ---------" (Gmail, Thunderbird) and "Begin forwarded message:" (Apple Mail).
const ORIGINAL_MESSAGE = PHRASES.originalMessage;
const FORWARDED_MESSAGE = PHRASES.forwardedMessage;
const BEGIN_FORWARDED = PHRASES.beginForwarded;
const ORIGINAL_RE = new RegExp(`^(?:${alternation(ORIGINAL_MESSAGE)})$`, 'iu');
const FORWARDED_RE = new RegExp(`^(?:${alternation(FORWARDED_MESSAGE)})$`, 'iu');
const BEGIN_FORWARDED_RE = new RegExp(`^(?:${alternation(BEGIN_FORWARDED)})\\s*[:：]?$`, 'iu');
const WRAPPER = ' \t-_=*~–—‒―';

/** The phrase inside "-----  phrase  -----", when the line is wrapped in at least two dashes/underscores/equals. */
function wrappedPhrase(line: string): string | null {
  if (line.length > MAX_PATTERN_LINE) return null;
  const t = cleanLine(line).trim();
  const inner = trimChars(t, WRAPPER);
  if (inner === t || inner.length === 0) return null;
  const leading = t.indexOf(inner);
  const wrappers = leading + (t.length - leading - inner.length);
  return wrappers >= 2 ? inner : null;
}

/**
 * A short phrase between runs of dashes ("-------- Courriel d’origine --------", "–––– Přeposlaná zpráva ––––"), in
 * any language: at least three wrapper characters on each side and at most six words.
 */
export function isWrappedPhrase(line: string): boolean {
  const inner = wrappedPhrase(line);
  if (inner === null || inner.split(/\s+/).length > 6 || /[.!?]$/.test(inner)) return false;
  const t = cleanLine(line).trim();
  const at = t.indexOf(inner);
  return /^[-_=*~–—‒―]{3,}/.test(t.slice(0, at).trim()) && /[-_=*~–—‒―]{3,}$/.test(t.slice(at + inner.length).trim());
}

/** "-----Original Message-----" and translations. */
export function isOriginalMessageLine(line: string): boolean {
  const inner = wrappedPhrase(line);
  return inner !== null && ORIGINAL_RE.test(inner);
}

/** The start of a forwarded message: Gmail/Thunderbird dashes, Apple's "Begin forwarded message:", Lotus Notes. */
export function isForwardLine(line: string): boolean {
  if (line.length > MAX_PATTERN_LINE) return false;
  const inner = wrappedPhrase(line);
  if (inner !== null) {
    if (FORWARDED_RE.test(inner)) return true;
    // Lotus Notes: "---------------------- Forwarded by Phillip K Allen/HOU/ECT on 12/12/2000" (wraps).
    if (/^forwarded by\s/i.test(inner) && /^\s*-{3,}/.test(line)) return true;
  }
  return BEGIN_FORWARDED_RE.test(cleanLine(line).trim());
}

/** A line that is only a rule: dashes, underscores, equals, em dashes (Outlook's 32 underscores, `<hr>` as text). */
export function isRuleLine(line: string): boolean {
  if (line.length > MAX_PATTERN_LINE) return false;
  const t = cleanLine(line).trim();
  return t.length >= 2 && /^[-_=*~—–‒―]+$/.test(t) && !/^--$/.test(t);
}

/** The RFC 3676 §4.3 signature delimiter "-- ", also written "--" or as a lone dash of other widths. */
export function isSignatureDelimiter(line: string): boolean {
  const t = cleanLine(line).trim();
  return t === '--' || t === '—' || t === '–' || t === '---';
}

/** A mailing-list footer (Mailman's underscore rule followed by "… mailing list"). */
export function isListFooterStart(lines: readonly string[], i: number): boolean {
  const t = cleanLine(lines[i] ?? '').trim();
  if (/^you received this message because you are subscribed to the google groups/i.test(t)) return true;
  if (!/^_{2,}$/.test(t)) return false;
  for (let j = i + 1; j < Math.min(lines.length, i + 3); j++) {
    const next = lines[j] ?? '';
    if (next.length < MAX_PATTERN_LINE && /mailing list|mailman\/listinfo|^to unsubscribe/i.test(next)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Mobile and webmail footers ("Sent from my iPhone" and its translations, Outlook mobile's "Get Outlook for iOS").

/** Footer patterns of every known language, each with the device or app as its first group. */
const DEVICE_FOOTERS: readonly RegExp[] = PHRASES.deviceFooters;

/**
 * Whether a line is a device/app footer such as "Sent from my iPhone", "Verstuurd vanaf mijn iPhone", "Von meinem
 * iPhone gesendet", "Envoyé de mon iPhone", "Enviado desde mi iPhone", "Gesendet von Outlook für Android",
 * "Get Outlook for iOS". A comma or a long tail means a sentence ("Sent from my desk, is much easier …").
 */
export function isDeviceFooter(line: string): boolean {
  if (line.length > 160) return false;
  // A trailing link ("Sent from TypeApp<http://…>", "Sent with Sparrow (http://…)") is part of the footer.
  // "---Sent from my phone": a footer glued to the dashes some apps put above it.
  const t = trimChars(cleanLine(line).trim(), '-–—_=~* \t').replace(
    /\s*[<([]\s*(?:https?:\/\/|www\.)[^\s<>()[\]]*\s*[>)\]]$/i,
    '',
  );
  for (const re of DEVICE_FOOTERS) {
    const m = re.exec(t);
    if (!m) continue;
    const rest = (m[1] ?? '').trim();
    if (rest.length === 0 || rest.includes(',') || rest.endsWith('?')) return false;
    return rest.split(/\s+/).length <= 8;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-offs and signature blocks.

/** Valedictions of every known language ("best regards", "viele grüße", "cordialement"). */
const VALEDICTIONS = PHRASES.signOffs;
const VALEDICTION_RE = new RegExp(`^(?:${alternation(VALEDICTIONS)})(?![\\p{L}])([\\s,.!:;–—-]*)(.*)$`, 'iu');

/**
 * A sign-off line: a valediction alone ("Best regards,", "Groetjes") or with the name on the same line ("Best, Anna",
 * "Viele Grüße, Anna"). Returns whether a name follows on the line, or null when the line is not a sign-off.
 */
export function signOff(line: string): { withName: boolean } | null {
  if (line.length > 80) return null;
  const t = cleanLine(line).trim();
  const m = VALEDICTION_RE.exec(t);
  if (!m) return null;
  const sep = m[1] ?? '';
  const rest = (m[2] ?? '').trim();
  if (rest === '') return { withName: false };
  // "Thanks for the update!" is a sentence; "Best, Anna", "Cheers 🎉", "Thanks Anna" are sign-offs.
  // A trailing emoji ("Cheers 🎉") is not a name: the name may still follow on the next line.
  if (!/\p{L}/u.test(rest)) return /^[\p{So}\p{Sk}\s!.]+$/u.test(rest) ? { withName: false } : null;
  if (isNameLike(rest) && (sep.trim() !== '' || /^\p{Lu}/u.test(rest))) return { withName: true };
  return null;
}

/** A short name ("Anna", "Anna de Vries", "J.", "-Anna"): a few words, no digits, addresses or sentence ends. */
export function isNameLike(line: string): boolean {
  const t = cleanLine(line).trim();
  if (t.length === 0 || t.length > 40 || /[\d@:/<>]/.test(t) || /[?]$/.test(t)) return false;
  const words = t.split(/\s+/);
  return words.length <= 4 && !/[.!]$/.test(t.replace(/\b\p{Lu}\.$/u, ''));
}

const PHONE = /(?:\+|\(\d)[\d\s().-]{6,}\d|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b|\b0\d{1,3}[\s-]?\d{6,8}\b/;
// Contact labels, company forms and job titles of every known language; addresses and social links in any.
const CONTACT_WORDS = new RegExp(
  `\\b(?:${alternation(PHRASES.contactLabels)}|www\\.|https?:\\/\\/|linkedin|skype|twitter)\\b|@[\\w-]+\\.\\w` +
    `|\\b(?:${PHRASES.companyFormPatterns.join('|')})\\.?$|^(?:${PHRASES.titleStartPatterns.join('|')})\\b|[📧📱☎📞✉]`,
  'iu',
);

/** A line with contact details: phone, e-mail, URL, a company form ("Inc", "B.V.") or a job title. */
export function hasContactMarker(line: string): boolean {
  if (line.length > 200) return false;
  const t = cleanLine(line);
  return PHONE.test(t) || CONTACT_WORDS.test(t.trim());
}

// A street in the three ways languages write one: "1400 Smith Street", "Keizersgracht 12", "12 rue de la Paix".
const STREET = new RegExp(
  `^\\d{1,5}[a-z]?,?\\s+(?:[\\p{L}.'’-]+\\s+){0,4}(?:${alternation(PHRASES.streetTypes)})\\b\\.?` +
    `|^(?:[\\p{L}.'’-]+\\s+){0,3}[\\p{L}'’-]*(?:${PHRASES.streetSuffixPatterns.join('|')})\\s+\\d{1,4}\\s?[a-z]?\\b` +
    `|^\\d{0,4},?\\s*(?:${alternation(PHRASES.streetPrefixes)})\\s+\\S`,
  'iu',
);
const ROOM = new RegExp(`^(?:${PHRASES.boxPatterns.join('|')})\\b\\.?\\s*[#:]?\\s*[\\w-]*\\d`, 'i');
// Postal codes are written by country, not by language: US ZIP, Dutch, German/French/Swiss, British.
const POSTAL =
  /,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?$|^\d{4}\s?[A-Z]{2}\s+\p{Lu}|^(?:[A-Z]{1,2}-)?\d{4,5}\s+\p{Lu}\p{L}+|\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}$/u;
const TITLE = new RegExp(`\\b(?:${PHRASES.titlePatterns.join('|')})\\b`, 'iu');

/**
 * A line of a postal address or a title block: a street ("1400 Smith Street", "Keizersgracht 12", "12 rue de la
 * Paix"), a room or box ("Room EB1962", "Postbus 12"), a city with a postal code ("Houston, TX 77002-7361",
 * "1012 AB Amsterdam", "80331 München"), or a job title ("Managing Director - Research"). Short lines only.
 */
export function isAddressLine(line: string): boolean {
  const t = cleanLine(line).trim();
  if (
    t.length === 0 ||
    t.length > 80 ||
    t.split(/\s+/).length > 8 ||
    /[.!?]$/.test(t.replace(/\b(?:st|ave|rd|blvd|dr|corp|inc|co|ltd)\.$/i, ''))
  )
    return false;
  return STREET.test(t) || ROOM.test(t) || POSTAL.test(t) || TITLE.test(t);
}

/**
 * Whether a line could belong to a signature block rather than to prose: short, few words, and not a sentence
 * (a line of five or more words ending in . ! ? reads as prose unless it carries contact details).
 */
export function isSignatureLike(line: string): boolean {
  const t = cleanLine(line).trim();
  if (t.length > 100) return false;
  if (/^p\.?\s?s\.?\b/i.test(t)) return false;
  const words = t.split(/\s+/).length;
  if (hasContactMarker(t)) return words <= 16;
  if (words > 10) return false;
  return !(words >= 5 && /[.!?]$/.test(t));
}

// ---------------------------------------------------------------------------------------------------------------
// Legal disclaimers and confidentiality notices, matched per paragraph.

const DISCLAIMER_RE = new RegExp(PHRASES.disclaimerPatterns.join('|'), 'i');

/** Whether a paragraph reads as a legal disclaimer or confidentiality notice. */
export function isDisclaimer(paragraph: string): boolean {
  if (paragraph.length > 4000) return false;
  return DISCLAIMER_RE.test(cleanLine(paragraph).replace(/\s+/g, ' '));
}
