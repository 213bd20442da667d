// Greek mail phrases.
import type { MailLocale } from './types.js';

export const el: MailLocale = {
  code: 'el',
  name: 'Greek',
  attribution: { verbs: ['έγραψε'], startWords: ['στις'] },
  separators: { originalMessage: ['αρχικό μήνυμα'], forwardedMessage: ['προωθημένο μήνυμα'] },
  subject: { reply: ['απ', 'σχετ'] }, // Απάντηση (Outlook), Σχετικά (Thunderbird)
};
