// Latvian mail phrases.
import type { MailLocale } from './types.js';

export const lv: MailLocale = {
  code: 'lv',
  name: 'Latvian',
  attribution: { verbs: ['rakstīja'] },
  separators: { originalMessage: ['sākotnējā ziņa'] },
  subject: { reply: ['atb'] }, // Atbilde (Welsh writes Ateb the same way)
};
