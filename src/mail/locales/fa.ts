// Persian mail phrases.
import type { MailLocale } from './types.js';

export const fa: MailLocale = {
  code: 'fa',
  name: 'Persian',
  subject: { reply: ['پاسخ'] },
};
