// Finnish mail phrases.
import type { MailLocale } from './types.js';

export const fi: MailLocale = {
  code: 'fi',
  name: 'Finnish',
  attribution: { verbs: ['kirjoitti'], parsedVerbPatterns: ['kirjoitti'] },
  monthPrefixes: [
    ['tammi', 1],
    ['helmi', 2],
    ['maalis', 3],
    ['maa', 3],
    ['huhti', 4],
    ['touko', 5],
    ['kesä', 6],
    ['heinä', 7],
    ['elo', 8],
    ['syys', 9],
    ['loka', 10],
    ['marras', 11],
    ['joulu', 12],
  ],
  headerLabels: {
    from: ['lähettäjä'],
    date: ['lähetetty', 'päivämäärä'],
    to: ['vastaanottaja'],
    cc: ['kopio'],
    subject: ['aihe'],
  },
  separators: { originalMessage: ['alkuperäinen viesti'], forwardedMessage: ['välitetty viesti'] },
  subject: { reply: ['vs', 'vast'] }, // Vastaus
};
