// Swedish mail phrases. The device footer pattern also covers Danish and Norwegian ("Sendt fra min iPhone").
import type { MailLocale } from './types.js';

export const sv: MailLocale = {
  code: 'sv',
  name: 'Swedish',
  attribution: {
    verbs: ['skrev'],
    startWords: ['den', 'på'],
    midLineStartWords: ['Den', 'På'],
    parsedStartWords: ['den', 'på'],
    parsedVerbPatterns: ['skrev'],
    nameConnectivePatterns: ['skrev'],
  },
  monthAbbreviations: ['maj', 'okt'],
  monthPrefixes: [
    ['maj', 5],
    ['okt', 10],
  ],
  headerLabels: {
    from: ['från'],
    date: ['skickat', 'datum'],
    to: ['till'],
    cc: ['kopia'],
    subject: ['ämne'],
  },
  separators: {
    originalMessage: ['originalt meddelande', 'originalmeddelande', 'ursprungligt meddelande'],
    forwardedMessage: ['vidarebefordrat meddelande', 'vidarebefordrat mejl'],
    beginForwarded: ['början på vidarebefordrat meddelande'],
  },
  deviceFooters: [/^(?:skickat|sendt|sendt) (?:från|fra|med) (?:min |mitt |mi )?(.+)$/i],
  signOffs: ['med vänlig hälsning', 'vänliga hälsningar', 'hälsningar', 'mvh'],
  signature: { streetSuffixPatterns: ['gatan', 'vägen'] },
  subject: { reply: ['sv', 'svar'], replyBeforeForward: ['sv'] }, // Svar (also Danish, Norwegian, Icelandic)
};
