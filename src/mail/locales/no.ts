// Norwegian mail phrases. The device footer ("Sendt fra min iPhone") is in sv.ts's pattern.
import type { MailLocale } from './types.js';

export const no: MailLocale = {
  code: 'no',
  name: 'Norwegian',
  attribution: {
    verbs: ['skrev følgende', 'skrev'],
    startWords: ['den', 'på'],
    midLineStartWords: ['Den', 'På'],
    parsedStartWords: ['den', 'på'],
    parsedVerbPatterns: ['skrev'],
    nameConnectivePatterns: ['skrev'],
  },
  monthPrefixes: [
    ['mai', 5],
    ['okt', 10],
    ['des', 12],
  ],
  headerLabels: { from: ['fra'], date: ['sendt'], to: ['til'], subject: ['emne'] },
  separators: {
    originalMessage: ['opprinnelig melding', 'originalmelding'],
    forwardedMessage: ['videresendt melding', 'videresendt e-post'],
    beginForwarded: ['begynnelse på videresendt melding'],
  },
  signOffs: ['med vennlig hilsen', 'vennlig hilsen', 'hilsen', 'mvh'],
  signature: { streetSuffixPatterns: ['veien'] },
  subject: { reply: ['sv', 'svar'] },
};
