// Romanian mail phrases.
import type { MailLocale } from './types.js';

export const ro: MailLocale = {
  code: 'ro',
  name: 'Romanian',
  attribution: { verbs: ['a scris'], startWords: ['în'] },
  separators: {
    originalMessage: ['mesajul original', 'mesaj original'],
    forwardedMessage: ['mesaj redirecționat', 'mesaj redirectionat'],
  },
  subject: { reply: ['răspuns'] },
};
