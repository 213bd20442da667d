// Hindi mail phrases.
import type { MailLocale } from './types.js';

export const hi: MailLocale = {
  code: 'hi',
  name: 'Hindi',
  attribution: { verbs: ['ने लिखा'] },
};
