// Czech mail phrases.
import type { MailLocale } from './types.js';

export const cs: MailLocale = {
  code: 'cs',
  name: 'Czech',
  attribution: { verbs: ['napsal(a)', 'napsala', 'napsal'], startWords: ['dne'] },
  separators: { originalMessage: ['původní zpráva'], forwardedMessage: ['přeposlaná zpráva'] },
  subject: { reply: ['odp'] }, // Odpověď
};
