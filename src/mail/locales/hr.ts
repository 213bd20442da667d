// Croatian mail phrases.
import type { MailLocale } from './types.js';

export const hr: MailLocale = {
  code: 'hr',
  name: 'Croatian',
  attribution: { verbs: ['je napisal', 'je napisala', 'napisao je', 'napisala je'], startWords: ['dana'] },
  separators: { originalMessage: ['izvorna poruka', 'originalna poruka'], forwardedMessage: ['proslijeđena poruka'] },
  subject: { reply: ['odg'] }, // Odgovor
};
