// Danish mail phrases. The device footer ("Sendt fra min iPhone") is in sv.ts's pattern.
import type { MailLocale } from './types.js';

export const da: MailLocale = {
  code: 'da',
  name: 'Danish',
  attribution: {
    verbs: ['skrev følgende', 'skrev'],
    startWords: ['den', 'på'],
    midLineStartWords: ['Den', 'På'],
    parsedStartWords: ['den', 'på'],
    parsedVerbPatterns: ['skrev'],
    nameConnectivePatterns: ['skrev'],
  },
  monthPrefixes: [
    ['maj', 5],
    ['okt', 10],
    ['dec', 12],
  ],
  headerLabels: { from: ['fra'], date: ['sendt'], to: ['til'], subject: ['emne'] },
  separators: {
    originalMessage: ['oprindelig meddelelse', 'oprindelig besked'],
    forwardedMessage: ['videresendt meddelelse', 'videresendt besked'],
    beginForwarded: ['start på videresendt besked', 'start på videresendt meddelelse'],
  },
  signOffs: ['med venlig hilsen', 'venlig hilsen', 'hilsen', 'kh'], // kh: kærlig hilsen
  signature: { streetSuffixPatterns: ['vej', 'gade'] },
  subject: { reply: ['sv', 'svar'] },
};
