// Estonian mail phrases.
import type { MailLocale } from './types.js';

export const et: MailLocale = {
  code: 'et',
  name: 'Estonian',
  attribution: { verbs: ['kirjutas'] },
  separators: { originalMessage: ['originaalsõnum'], forwardedMessage: ['edasi saadetud sõnum'] },
  subject: { reply: ['vs', 'vast'] }, // Vastus
};
