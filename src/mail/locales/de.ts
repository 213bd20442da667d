// German mail phrases: Gmail, Apple Mail, Thunderbird and Outlook as they write them in German.
import type { MailLocale } from './types.js';

export const de: MailLocale = {
  code: 'de',
  name: 'German',
  attribution: {
    verbs: ['schrieb', 'geschrieben'], // Gmail, Apple Mail ("Am 03.01.2023 um 10:12 schrieb Ann:")
    startWords: ['am'],
    midLineStartWords: ['Am'],
    parsedStartWords: ['am'],
    // "Am 03.01.2023 um 10:12 Uhr schrieb Ann": the clock's "Uhr" and the verb stand between date and name.
    nameConnectivePatterns: ['schrieb', 'von', 'uhr\\s+schrieb', 'uhr'],
  },
  monthAbbreviations: ['mär', 'mai', 'dez', 'okt'],
  monthPrefixes: [
    ['mär', 3],
    ['mrz', 3],
    ['mai', 5],
    ['okt', 10],
    ['dez', 12],
  ],
  headerLabels: {
    from: ['von', 'absender'],
    date: ['gesendet', 'datum'],
    to: ['an', 'empfänger'],
    cc: ['kopie'],
    subject: ['betreff'],
    other: ['antwort an', 'wichtigkeit', 'anlagen'],
  },
  separators: {
    originalMessage: [
      'ursprüngliche nachricht',
      'originalnachricht',
      'antwort nachricht',
      'originalbericht',
      'originale nachricht',
      'originalmeldung',
    ],
    forwardedMessage: ['weitergeleitete nachricht', 'weitergeleitete e-mail'],
    beginForwarded: ['anfang der weitergeleiteten nachricht'],
  },
  deviceFooters: [
    /^gesendet (?:von|mit|vom|über|aus) (?:meinem |meiner |mein |der |dem )?(.+)$/i,
    /^von meinem (.+) gesendet$/i,
  ],
  signOffs: [
    'viele grüße',
    'viele grüsse',
    'liebe grüße',
    'liebe grüsse',
    'beste grüße',
    'beste grüsse',
    'herzliche grüße',
    'herzliche grüsse',
    'mit freundlichen grüßen',
    'mit freundlichen grüssen',
    'freundliche grüße',
    'freundliche grüsse',
    'mit besten grüßen',
    'grüße',
    'grüsse',
    'gruß',
    'gruss',
    'lg',
    'vg',
    'mfg',
    'danke',
    'vielen dank',
  ],
  signature: {
    contactLabels: ['telefon', 'handy'],
    companyFormPatterns: ['gmbh', 'ag'],
    titlePatterns: ['geschäftsführer(?:in)?', 'leiter(?:in)?'],
    streetSuffixPatterns: ['straße', 'strasse', 'str\\.', 'weg', 'gasse', 'platz'],
    boxPatterns: ['postfach'],
  },
  disclaimerPatterns: [
    'diese (?:e-?mail|nachricht) (?:enthält|kann) vertrauliche',
    'wenn sie nicht der (?:richtige|beabsichtigte) (?:adressat|empfänger) sind',
    'vertrauliche und/oder rechtlich geschützte',
  ],
  subject: {
    reply: ['aw', 'antw', 'antwort'], // Antwort ("AW:"; older Outlook "Antw:")
    forwardPatterns: ['wg'],
    replyBeforeForward: ['aw', 'antw'],
    bounce: ['unzustellbar', 'nicht zustellbar'],
    calendar: ['einladung', 'aktualisierte einladung', 'angenommen', 'abgelehnt'],
    autoReplyPatterns: ['automatische antwort', 'abwesenheitsnotiz'],
  },
  outOfOffice: {
    greetingPatterns: ['hallo', 'guten (?:tag|morgen)', 'sehr geehrte', 'liebe', 'lieber'],
    thanksPatterns: ['(?:vielen )?dank(?:e)? f[üu]r (?:ihre|deine) (?:e-?mail|nachricht|mail)'],
    openingPatterns: [
      '(?:dies ist eine )?automatische (?:antwort|nachricht|abwesenheitsnotiz)',
      'ich bin\\b[^!?\\n]{0,60}?\\b(?:nicht im b[üu]ro|nicht im hause|nicht am arbeitsplatz|nicht erreichbar|abwesend|au(?:ß|ss)er haus|im urlaub|in urlaub)',
      'ich befinde mich\\b[^!?\\n]{0,60}?\\b(?:im urlaub|au(?:ß|ss)er haus|nicht im b[üu]ro|auf (?:dienst|gesch[äa]fts)reise)',
    ],
  },
  forwardNote: {
    trivialPhrases: ['zur kenntnisnahme', 'zur kenntnis', 'zur information', 'zur info', 'siehe unten', 'siehe anhang'],
    courtesyPhrases: ['vielen dank', 'viele grüße', 'liebe grüße', 'beste grüße'],
    courtesyWords: ['hallo', 'liebe', 'lieber', 'danke', 'gruß', 'grüße', 'gruss', 'grüsse', 'lg', 'mfg', 'vg'],
  },
};
