// Thai mail phrases.
import type { MailLocale } from './types.js';

export const th: MailLocale = {
  code: 'th',
  name: 'Thai',
  attribution: { verbs: ['เขียน'] },
  subject: { reply: ['ตอบกลับ'] },
};
