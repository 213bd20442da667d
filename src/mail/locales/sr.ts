// Serbian mail phrases.
import type { MailLocale } from './types.js';

export const sr: MailLocale = {
  code: 'sr',
  name: 'Serbian',
  attribution: { verbs: ['napisao je', 'napisala je'] },
  separators: { originalMessage: ['originalna poruka'], forwardedMessage: ['prosleđena poruka'] },
  subject: { reply: ['од'] }, // Одговор (also Macedonian)
};
