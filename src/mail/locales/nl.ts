// Dutch mail phrases: Gmail, Apple Mail, iOS and Outlook as they write them in Dutch.
import type { MailLocale } from './types.js';

export const nl: MailLocale = {
  code: 'nl',
  name: 'Dutch',
  attribution: {
    verbs: [
      'het volgende geschreven', // Apple Mail ("Op … heeft X het volgende geschreven:")
      'geschreven', // iOS ("Op 24 feb. 2015 om 22:48 heeft Jan <j@x> geschreven:")
      'schreef', // Gmail ("Op di 3 jan. 2023 om 10:12 schreef Ann <a@b>:")
      'schreef het volgende',
      'heeft geschreven',
    ],
    startWords: ['op'],
    midLineStartWords: ['Op'],
    parsedStartWords: ['op'],
    parsedVerbPatterns: ['het volgende geschreven'],
    nameConnectivePatterns: ['schreef', 'heeft'],
    nameSuffixPatterns: ['het volgende'],
  },
  monthAbbreviations: ['mrt', 'mei', 'okt'],
  monthPrefixes: [
    ['mrt', 3],
    ['mei', 5],
    ['okt', 10],
  ],
  headerLabels: {
    from: ['van', 'afzender'],
    date: ['verzonden', 'verstuurd', 'datum'],
    to: ['aan'],
    cc: ['kopie'],
    subject: ['onderwerp', 'betreft'],
    other: ['bijlagen'],
  },
  separators: {
    originalMessage: ['oorspronkelijk bericht', 'origineel bericht'],
    forwardedMessage: ['doorgestuurd bericht', 'doorgestuurde e-mail'],
    beginForwarded: ['begin doorgestuurd bericht'],
  },
  deviceFooters: [/^(?:verstuurd|verzonden) (?:vanaf|vanuit|met|via|van) (?:mijn |een |de )?(.+)$/i],
  signOffs: [
    'met vriendelijke groet',
    'met vriendelijke groeten',
    'vriendelijke groet',
    'vriendelijke groeten',
    'met hartelijke groet',
    'hartelijke groet',
    'hartelijke groeten',
    'hartelijk dank',
    'groet',
    'groeten',
    'groetjes',
    'mvg',
    'gr',
    'bedankt',
    'dank je wel',
    'dank u wel',
    'alvast bedankt',
  ],
  signature: {
    contactLabels: ['mobiel', 'telefoon'],
    companyFormPatterns: ['b\\.?v\\.?', 'n\\.?v\\.?'],
    titlePatterns: ['adviseur', 'medewerker', 'projectleider', 'eigenaar'],
    streetSuffixPatterns: ['laan', 'straat', 'plein', 'gracht', 'kade', 'singel', 'dijk', 'weg'],
    boxPatterns: ['postbus'],
  },
  disclaimerPatterns: [
    'dit (?:e-?mail)?bericht is (?:uitsluitend|alleen) bestemd voor',
    'de informatie (?:verzonden )?(?:in|met) dit (?:e-?mail)?bericht',
    'indien u (?:dit bericht )?(?:niet de (?:beoogde )?geadresseerde bent|dit bericht onterecht)',
  ],
  subject: {
    reply: ['antw', 'antwoord'], // Antwoord (also German Outlook's older "Antw")
    forwardPatterns: ['doorst'],
    replyBeforeForward: ['antw'],
    bounce: ['onbestelbaar', 'niet bezorgd'],
    calendar: ['uitnodiging', 'bijgewerkte uitnodiging', 'geaccepteerd', 'geweigerd'],
    autoReplyPatterns: ['automatisch antwoord', 'afwezigheidsmelding', 'afwezig'],
  },
  outOfOffice: {
    greetingPatterns: ['beste', 'hallo', 'hoi', 'geachte', 'goedemorgen', 'goedemiddag'],
    thanksPatterns: ['(?:bedankt|dank u|dank je|hartelijk dank) voor (?:uw|je|jouw) (?:e-?mail|bericht|mail)'],
    openingPatterns: [
      '(?:dit is een )?automatisch (?:antwoord|bericht|gegenereerd)',
      'ik ben\\b[^!?\\n]{0,60}?\\b(?:afwezig|niet (?:aanwezig|op kantoor|bereikbaar)|met (?:vakantie|verlof)|op vakantie|buiten kantoor|out of office)',
      'ik zal\\b[^!?\\n]{0,60}?\\bafwezig zijn',
    ],
  },
  forwardNote: {
    trivialPhrases: ['ter informatie', 'ter info', 'ter kennisname', 'zie hieronder', 'zie onder', 'zie bijlage'],
    courtesyPhrases: ['dank je wel', 'dank u wel', 'dank je', 'dank u', 'met vriendelijke groet'],
    courtesyWords: ['hoi', 'hallo', 'beste', 'dag', 'lieve', 'bedankt', 'groet', 'groeten', 'gr', 'mvg', 'vg'],
  },
};
