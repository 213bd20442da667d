// Lithuanian mail phrases.
import type { MailLocale } from './types.js';

export const lt: MailLocale = {
  code: 'lt',
  name: 'Lithuanian',
  attribution: { verbs: ['rašė'] },
  separators: { originalMessage: ['pradinis laiškas'] },
  subject: { reply: ['ats'] }, // Atsakymas
};
