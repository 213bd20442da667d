// Bosnian mail phrases.
import type { MailLocale } from './types.js';

export const bs: MailLocale = {
  code: 'bs',
  name: 'Bosnian',
  attribution: { verbs: ['napisao je', 'napisala je'] },
  separators: { originalMessage: ['izvorna poruka'] },
};
