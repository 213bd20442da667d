// Slovak mail phrases.
import type { MailLocale } from './types.js';

export const sk: MailLocale = {
  code: 'sk',
  name: 'Slovak',
  attribution: { verbs: ['napísal(a)', 'napísala', 'napísal'], startWords: ['dňa'] },
  separators: { originalMessage: ['pôvodná správa'], forwardedMessage: ['preposlaná správa'] },
  subject: { reply: ['odp'] },
};
