// Polish mail phrases: Gmail, Thunderbird and Outlook as they write them in Polish.
import type { MailLocale } from './types.js';

export const pl: MailLocale = {
  code: 'pl',
  name: 'Polish',
  attribution: {
    verbs: ['napisał(a)', 'napisała', 'napisał', 'pisze'], // "W dniu … użytkownik X napisał:"
    startWords: ['w dniu', 'dnia'],
    midLineStartWords: ['W dniu', 'Dnia'],
    parsedStartWords: ['w dniu', 'dnia'],
    parsedVerbPatterns: ['napisał\\(a\\)', 'napisała', 'napisał', 'pisze'],
    nameConnectivePatterns: ['użytkownik'],
  },
  monthAbbreviations: ['sty', 'lut', 'kwi', 'maj', 'cze', 'lip', 'sie', 'wrz', 'paź', 'lis', 'gru'],
  monthPrefixes: [
    ['sty', 1],
    ['lut', 2],
    ['kwi', 4],
    ['maj', 5],
    ['cze', 6],
    ['lip', 7],
    ['sie', 8],
    ['wrz', 9],
    ['paź', 10],
    ['lis', 11],
    ['gru', 12],
  ],
  headerLabels: {
    from: ['od', 'nadawca'], // nadawca, adresat: Thunderbird's forwarded header
    date: ['wysłano', 'data'],
    to: ['do', 'adresat'],
    cc: ['kopia'],
    subject: ['temat'],
  },
  separators: {
    originalMessage: ['wiadomość oryginalna', 'oryginalna wiadomość'],
    forwardedMessage: ['wiadomość przekazana dalej', 'przekazana wiadomość'],
    beginForwarded: ['początek przekazywanej wiadomości'],
  },
  deviceFooters: [/^wysłane (?:z|ze|przez) (?:mojego |mojej )?(.+)$/i],
  signOffs: ['pozdrawiam', 'z poważaniem', 'z powazaniem'],
  subject: { reply: ['odp'] }, // Odpowiedź (also Czech and Slovak)
};
