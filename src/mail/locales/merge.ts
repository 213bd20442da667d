// Merges locales into one set of phrase lists (pure): what the technique files in src/mail compile their patterns from.
import type { HeaderField, MailLocale } from './types.js';

/** Every locale's phrases of one kind, in locale order, duplicates dropped. Field meanings: see MailLocale. */
export interface MailPhrases {
  verbs: string[];
  weakVerbs: string[];
  startWords: string[];
  midLineStartWords: string[];
  parsedStartWords: string[];
  parsedVerbPatterns: string[];
  nameConnectivePatterns: string[];
  nameSuffixPatterns: string[];
  amWords: string[];
  pmWords: string[];
  monthAbbreviations: string[];
  /** Longest prefix first, so that "marras" (November) is tried before "mar" (March). */
  monthPrefixes: [string, number][];
  /** Every field present, in the order from, date, to, cc, subject, other (a label in two fields keeps the first). */
  headerLabels: Record<HeaderField, string[]>;
  originalMessage: string[];
  forwardedMessage: string[];
  beginForwarded: string[];
  deviceFooters: RegExp[];
  signOffs: string[];
  disclaimerPatterns: string[];
  contactLabels: string[];
  companyFormPatterns: string[];
  titleStartPatterns: string[];
  titlePatterns: string[];
  streetTypes: string[];
  streetSuffixPatterns: string[];
  streetPrefixes: string[];
  boxPatterns: string[];
  replyPrefixes: string[];
  forwardPatterns: string[];
  replyBeforeForward: string[];
  bounceSubjects: string[];
  calendarSubjects: string[];
  autoReplyPatterns: string[];
  greetingPatterns: string[];
  thanksPatterns: string[];
  outOfOfficePatterns: string[];
  trivialPhrases: string[];
  courtesyPhrases: string[];
  courtesyWords: string[];
}

const HEADER_FIELDS: readonly HeaderField[] = ['from', 'date', 'to', 'cc', 'subject', 'other'];

/** The union of `locales`' phrases, kind by kind. Throws nothing: a locale without a field adds nothing to it. */
export function mergeLocales(locales: readonly MailLocale[]): MailPhrases {
  const all = <T>(pick: (l: MailLocale) => readonly T[] | undefined): T[] => [
    ...new Set(locales.flatMap((l) => pick(l) ?? [])),
  ];
  const monthPrefixes = new Map<string, number>();
  for (const l of locales) for (const [prefix, month] of l.monthPrefixes ?? []) monthPrefixes.set(prefix, month);
  const headerLabels = Object.fromEntries(HEADER_FIELDS.map((f) => [f, all((l) => l.headerLabels?.[f])])) as Record<
    HeaderField,
    string[]
  >;
  return {
    verbs: all((l) => l.attribution?.verbs),
    weakVerbs: all((l) => l.attribution?.weakVerbs),
    startWords: all((l) => l.attribution?.startWords),
    midLineStartWords: all((l) => l.attribution?.midLineStartWords),
    parsedStartWords: all((l) => l.attribution?.parsedStartWords),
    parsedVerbPatterns: all((l) => l.attribution?.parsedVerbPatterns),
    nameConnectivePatterns: all((l) => l.attribution?.nameConnectivePatterns),
    nameSuffixPatterns: all((l) => l.attribution?.nameSuffixPatterns),
    amWords: all((l) => l.dayPeriods?.am),
    pmWords: all((l) => l.dayPeriods?.pm),
    monthAbbreviations: all((l) => l.monthAbbreviations),
    monthPrefixes: [...monthPrefixes].sort((a, b) => b[0].length - a[0].length),
    headerLabels,
    originalMessage: all((l) => l.separators?.originalMessage),
    forwardedMessage: all((l) => l.separators?.forwardedMessage),
    beginForwarded: all((l) => l.separators?.beginForwarded),
    deviceFooters: all((l) => l.deviceFooters),
    signOffs: all((l) => l.signOffs),
    disclaimerPatterns: all((l) => l.disclaimerPatterns),
    contactLabels: all((l) => l.signature?.contactLabels),
    companyFormPatterns: all((l) => l.signature?.companyFormPatterns),
    titleStartPatterns: all((l) => l.signature?.titleStartPatterns),
    titlePatterns: all((l) => l.signature?.titlePatterns),
    streetTypes: all((l) => l.signature?.streetTypes),
    streetSuffixPatterns: all((l) => l.signature?.streetSuffixPatterns),
    streetPrefixes: all((l) => l.signature?.streetPrefixes),
    boxPatterns: all((l) => l.signature?.boxPatterns),
    replyPrefixes: all((l) => l.subject?.reply),
    forwardPatterns: all((l) => l.subject?.forwardPatterns),
    replyBeforeForward: all((l) => l.subject?.replyBeforeForward),
    bounceSubjects: all((l) => l.subject?.bounce),
    calendarSubjects: all((l) => l.subject?.calendar),
    autoReplyPatterns: all((l) => l.subject?.autoReplyPatterns),
    greetingPatterns: all((l) => l.outOfOffice?.greetingPatterns),
    thanksPatterns: all((l) => l.outOfOffice?.thanksPatterns),
    outOfOfficePatterns: all((l) => l.outOfOffice?.openingPatterns),
    trivialPhrases: all((l) => l.forwardNote?.trivialPhrases),
    courtesyPhrases: all((l) => l.forwardNote?.courtesyPhrases),
    courtesyWords: all((l) => l.forwardNote?.courtesyWords),
  };
}
