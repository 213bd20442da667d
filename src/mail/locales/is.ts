// Icelandic mail phrases.
import type { MailLocale } from './types.js';

export const is: MailLocale = {
  code: 'is',
  name: 'Icelandic',
  attribution: { verbs: ['skrifaði'] },
  headerLabels: { from: ['frá'] },
  subject: { reply: ['sv', 'svar'] },
};
