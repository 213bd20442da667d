// Arabic mail phrases.
import type { MailLocale } from './types.js';

export const ar: MailLocale = {
  code: 'ar',
  name: 'Arabic',
  attribution: { verbs: ['كتب'] },
  separators: { originalMessage: ['الرسالة الأصلية'], forwardedMessage: ['رسالة معاد توجيهها'] },
  subject: { reply: ['رد'] },
};
