// Slovenian mail phrases.
import type { MailLocale } from './types.js';

export const sl: MailLocale = {
  code: 'sl',
  name: 'Slovenian',
  attribution: { verbs: ['je napisal', 'je napisala'] },
  separators: { originalMessage: ['izvirno sporočilo'], forwardedMessage: ['posredovano sporočilo'] },
  subject: { reply: ['odg'] }, // Odgovor
};
