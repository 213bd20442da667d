// Reads who and when out of an attribution line or a quoted header block (pure), for recovering a reply's parent.

import { LOCALES, mergeLocales } from './locales/index.js';
import { cleanLine, type HeaderLine, normaliseAttribution, trimChars } from './quote-patterns.js';
import { alternation } from './regex-text.js';

/** Who wrote a quoted message and when, as read from its attribution line or header block. */
export interface Attribution {
  name?: string;
  address?: string;
  /** the date as written */
  date?: string;
  /** parsed, ms since epoch, when parseable */
  dateMs?: number | null;
}

const PHRASES = mergeLocales(LOCALES);
/** The closing verb of an attribution ("wrote:", "a écrit :"), removed to leave "start date, name". */
const CLOSING_VERB = new RegExp(
  `\\s*(?:${alternation(PHRASES.parsedVerbPatterns, { patterns: true })})\\s*[:：]?\\s*$`,
  'iu',
);
/** The start word before the date ("On", "Am", "Il giorno"). */
const START_WORD = new RegExp(`^(?:${alternation(PHRASES.parsedStartWords)})\\s+`, 'iu');
/** Connectives between date and name: "…, Ann", "… schreef Ann", "… heeft Ann het volgende", "… от Ann". */
const NAME_CONNECTIVE = new RegExp(
  `^[\\s,，、]*(?:at\\s+)?(?:${alternation(PHRASES.nameConnectivePatterns, { patterns: true })})?\\s*`,
  'iu',
);
/** Words after the name: "… heeft Ann het volgende". */
const NAME_SUFFIX = new RegExp(`\\s+(?:${alternation(PHRASES.nameSuffixPatterns, { patterns: true })})$`, 'iu');
/** Before and after noon, written next to the time without a.m./p.m. ("오후 12:39"). */
const PM_WORD = new RegExp(alternation(PHRASES.pmWords));
const AM_WORD = new RegExp(alternation(PHRASES.amWords));

const EMAIL_G = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/g;

/**
 * Longest attribution or header-field value read, in characters. A quoted header field may wrap over lines (a From
 * with a long display name), but no sender or date needs more; the regexes below backtrack quadratically on a long
 * run of word characters or spaces, so the cap is what keeps a hostile quote cheap.
 */
const MAX_FIELD_CHARS = 1000;
const TIME = /(\d{1,2})[:.h](\d{2})(?:[:.](\d{2}))?(?:\s*([ap])\.?\s?m\.?(?![a-z]))?/i;

/** Parses "On Tue, 3 Jan 2023 at 10:12, Ann <a@b> wrote:" (and translations) into name, address and date. */
export function parseAttributionLine(text: string): Attribution {
  const t = normaliseAttribution(text.length > MAX_FIELD_CHARS ? text.slice(0, MAX_FIELD_CHARS) : text);
  const out: Attribution = {};
  const addresses = t.match(EMAIL_G);
  if (addresses && addresses.length > 0) out.address = (addresses[addresses.length - 1] ?? '').toLowerCase();
  // Without the addresses, "<mailto:…>" leftovers and the closing verb, what remains is "start date, name".
  let s = t
    .replace(/<?\s*mailto:[^\s>]*\s*>?/gi, ' ')
    .replace(/[<([]\s*[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\s*[>)\]]/g, ' ')
    .replace(EMAIL_G, ' ')
    .replace(/\s+/g, ' ');
  s = s.replace(CLOSING_VERB, '');
  s = trimChars(s, ' :：,"\'<>');
  s = s.replace(START_WORD, '');
  const dateEnd = endOfDate(s);
  let date = dateEnd > 0 ? s.slice(0, dateEnd) : '';
  let name = dateEnd > 0 ? s.slice(dateEnd) : s;
  name = name.replace(NAME_CONNECTIVE, '').replace(NAME_SUFFIX, '');
  name = trimChars(name, ' ,"\'“”()');
  date = trimChars(date, ' ,');
  if (name && !/@/.test(name) && name.length <= 80) out.name = name;
  if (date) {
    out.date = date;
    out.dateMs = parseLooseDate(date);
  }
  return out;
}

/** Reads the From and Sent/Date fields of a quoted header block (at most MAX_FIELD_CHARS of each). */
export function parseHeaderFields(fields: readonly HeaderLine[]): Attribution {
  const out: Attribution = {};
  const from = fields.find((f) => f.field === 'from');
  if (from) {
    const value = cleanLine(from.value.slice(0, MAX_FIELD_CHARS));
    const address = value.match(EMAIL_G);
    if (address) out.address = (address[0] ?? '').toLowerCase();
    const name = trimChars(
      value
        .replace(/\[mailto:[^\]]*\]/gi, ' ')
        .replace(/<[^<>]*>/g, ' ')
        .replace(EMAIL_G, ' ')
        .replace(/\bon\s+\d.*$/i, '') // Lotus Notes: "Ann Smith@ENRON on 12/12/2000 11:56 AM"
        .replace(/(?:\/[\w&.-]+)*\s*@[\w/-]+/g, ' ') // Exchange's "…>@ENRON", Notes' "Ann Smith/HOU/ECT@ECT"
        .replace(/[<>]/g, ' ')
        .replace(/\s+/g, ' '),
      ' "\'',
    );
    if (name) out.name = name;
  }
  const date = fields.find((f) => f.field === 'date');
  if (date?.value) {
    out.date = cleanLine(date.value.slice(0, MAX_FIELD_CHARS)).trim();
    out.dateMs = parseLooseDate(out.date);
  }
  return out;
}

/** End of the date part of "Tue, 3 Jan 2023 at 10:12, Ann": after the time (and its zone), else after the year. */
function endOfDate(s: string): number {
  const timeRe = new RegExp(TIME.source, 'gi');
  let end = -1;
  for (let m = timeRe.exec(s); m !== null; m = timeRe.exec(s)) {
    // "13.12.2017" looks like a time twice; a time is not followed by another digit group with a dot.
    if (/^\.\d/.test(s.slice(m.index + m[0].length))) continue;
    end = m.index + m[0].length;
  }
  if (end >= 0) {
    const zone =
      /^(?:\s*(?:GMT|UTC)?\s?[+-]\d{2}:?\d{2}|\s*(?:GMT|UTC)[+-]\d{1,2})?(?:\s*\([A-Z]{2,5}\))?(?:\s*uhr)?/i.exec(
        s.slice(end),
      );
    return end + (zone?.[0].length ?? 0);
  }
  // No time: the end of the last date form ("Wed, 4/4/12", "Tue, 2011-03-01", "Wed, Dec 9").
  const dateRe = /\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?:19|20)\d{2}(?!\d)|\b\p{L}{3,9}\.? \d{1,2}\b/gu;
  let last = 0;
  for (let m = dateRe.exec(s); m !== null; m = dateRe.exec(s)) last = m.index + m[0].length;
  return last;
}

/** Month prefixes of every known language → month 1–12, longest first ("marras" is November, "mar" March). */
const MONTH_PREFIXES: readonly [string, number][] = PHRASES.monthPrefixes;

function monthOf(word: string): number | null {
  const w = word.toLowerCase();
  for (const [prefix, month] of MONTH_PREFIXES) if (w.startsWith(prefix)) return month;
  return null;
}

type DateRead = (m: RegExpExecArray, us: boolean) => [number, number | null, number];

/** The date forms of attributions and header blocks, tried in order; each yields [year, month, day]. */
const DATE_FORMS: readonly { re: RegExp; read: DateRead }[] = [
  // 2023-01-03, 2023/1/3, 2016. 11. 8. (iOS Korean), 2016年11月8日
  {
    re: /(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?/,
    read: (m) => [Number(m[1]), Number(m[2]), Number(m[3])],
  },
  // 03.01.2023, 03/01/2023, 01/03/23: month first only when the numbers or the language say so
  {
    re: /(\d{1,2})([./-])(\d{1,2})\2(\d{2,4})/,
    read: (m, us) => {
      const a = Number(m[1]);
      const b = Number(m[3]);
      const monthFirst = a <= 12 && (b > 12 || (m[2] === '/' && us));
      return [Number(m[4]), monthFirst ? a : b, monthFirst ? b : a];
    },
  },
  // 3 Jan 2023, 3. Januar 2023, 3 de enero de 2023, 3 janv. 2023
  {
    re: /(\d{1,2})\.?\s*(?:de\s+)?(\p{L}{3,20})\.?,?\s*(?:de\s+)?(\d{4})/u,
    read: (m) => [Number(m[3]), monthOf(m[2] ?? ''), Number(m[1])],
  },
  // Jan 3, 2023
  {
    re: /(\p{L}{3,20})\.?-?\s*(\d{1,2}),?-?\s*(\d{4})/u,
    read: (m) => [Number(m[3]), monthOf(m[1] ?? ''), Number(m[2])],
  },
  // 11-Apr-2011
  {
    re: /(\d{1,2})-(\p{L}{3,20})-(\d{2,4})/u,
    read: (m) => [Number(m[3]), monthOf(m[2] ?? ''), Number(m[1])],
  },
];

/**
 * Parses a date as clients write it in attributions and header blocks, in ms since the epoch, or null. Without a
 * zone the wall-clock time is read as UTC (deterministic; the writer's zone is unknown). Numeric d/m vs m/d is
 * decided by the values, else by the convention of the words around it ("On 04/05/2011" is US, "Le 04/05" is not).
 */
export function parseLooseDate(value: string): number | null {
  let s = cleanLine(value.slice(0, 200)).replace(/\s+/g, ' ').trim();
  if (!s) return null;
  const us = /^(?:on|sent|date)\b|[ap]\.?m\b/i.test(s) || /^[A-Za-z]{3},? [A-Za-z]{3} \d/.test(s);
  let ymd: [number, number | null, number] | null = null;
  for (const { re, read } of DATE_FORMS) {
    const m = re.exec(s);
    const found = m ? read(m, us) : null;
    if (m && found && found[1] !== null) {
      ymd = found;
      s = `${s.slice(0, m.index)} ${s.slice(m.index + m[0].length)}`;
      break;
    }
  }
  if (!ymd) return null;
  const [year, mo, d] = ymd;
  const y = year < 100 ? year + 2000 : year;
  if (mo === null || mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  let hour = 0;
  let minute = 0;
  let second = 0;
  const t = TIME.exec(s);
  if (t) {
    hour = Number(t[1]);
    minute = Number(t[2]);
    second = Number(t[3] ?? 0);
    const half = (t[4] ?? '').toLowerCase() || (PM_WORD.test(s) ? 'p' : AM_WORD.test(s) ? 'a' : '');
    if (half === 'p' && hour < 12) hour += 12;
    if (half === 'a' && hour === 12) hour = 0;
    s = `${s.slice(0, t.index)} ${s.slice(t.index + t[0].length)}`;
  }
  let offset = 0;
  const z = /(?:GMT|UTC)?\s?([+-])(\d{2}):?(\d{2})(?!\d)|(?:GMT|UTC)([+-])(\d{1,2})(?![\d:])/.exec(s);
  if (z?.[1]) offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  else if (z?.[4]) offset = (z[4] === '-' ? -1 : 1) * Number(z[5]) * 60;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, hour, minute, second) - offset * 60_000;
  return Number.isFinite(ms) ? ms : null;
}
