// Italian mail phrases: Gmail, Apple Mail and Outlook as they write them in Italian.
import type { MailLocale } from './types.js';

export const it: MailLocale = {
  code: 'it',
  name: 'Italian',
  attribution: {
    verbs: ['ha scritto', 'scrive'], // "Il giorno … ha scritto:", "Marco scrive:"
    startWords: ['il', 'il giorno', 'in data'],
    midLineStartWords: ['Il'],
    parsedStartWords: ['il giorno', 'il', 'in data'],
    parsedVerbPatterns: ['ha scritto'],
  },
  monthAbbreviations: ['gen', 'mag', 'giu', 'lug', 'set', 'ott'],
  monthPrefixes: [
    ['gen', 1],
    ['mag', 5],
    ['giu', 6],
    ['lug', 7],
    ['set', 9],
    ['ott', 10],
  ],
  headerLabels: {
    from: ['da', 'mittente'],
    date: ['inviato', 'data'],
    to: ['a', 'per'],
    cc: ['copia'],
    subject: ['oggetto'],
  },
  separators: {
    originalMessage: ['messaggio originale'],
    forwardedMessage: ['messaggio inoltrato'],
    beginForwarded: ['inizio messaggio inoltrato'],
  },
  deviceFooters: [/^inviato (?:da|dal|dalla|con|tramite) (?:mio |il mio |la mia )?(.+)$/i],
  signOffs: ['cordiali saluti', 'distinti saluti', 'saluti', 'grazie', 'grazie mille'],
  signature: {
    titlePatterns: ['direttore'],
    streetPrefixes: ['via', 'viale', 'piazza', 'corso'],
  },
  disclaimerPatterns: [
    'le informazioni contenute in questo messaggio',
    'questo messaggio(?: e i suoi allegati)? (?:è|sono) (?:riservat|confidenzial)',
    'se (?:avete|ha) ricevuto questo messaggio per errore',
  ],
  subject: {
    reply: ['r', 'rif'], // R, Riferimento
    replyBeforeForward: ['r'],
    bounce: ['non recapitabile'],
  },
};
