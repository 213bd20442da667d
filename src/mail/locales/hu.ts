// Hungarian mail phrases.
import type { MailLocale } from './types.js';

export const hu: MailLocale = {
  code: 'hu',
  name: 'Hungarian',
  attribution: { verbs: ['írta'], parsedVerbPatterns: ['írta'] },
  headerLabels: {
    from: ['feladó'],
    date: ['elküldve', 'dátum'],
    to: ['címzett'],
    cc: ['másolat'],
    subject: ['tárgy'],
  },
  separators: { originalMessage: ['eredeti üzenet'], forwardedMessage: ['továbbított üzenet', 'továbbított levél'] },
  subject: { reply: ['vá', 'válasz'] }, // Válasz
};
