// Bulgarian mail phrases.
import type { MailLocale } from './types.js';

export const bg: MailLocale = {
  code: 'bg',
  name: 'Bulgarian',
  attribution: { verbs: ['написа'] },
  separators: { originalMessage: ['оригинално съобщение'], forwardedMessage: ['препратено съобщение'] },
  subject: { reply: ['отв'] }, // Отговор
};
