// Ukrainian mail phrases.
import type { MailLocale } from './types.js';

export const uk: MailLocale = {
  code: 'uk',
  name: 'Ukrainian',
  attribution: { verbs: ['написав', 'написала', 'пише'] },
  separators: { originalMessage: ['оригінальне повідомлення'], forwardedMessage: ['переслане повідомлення'] },
  subject: { reply: ['вд', 'відп'] }, // Відповідь
};
