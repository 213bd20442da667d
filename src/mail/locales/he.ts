// Hebrew mail phrases.
import type { MailLocale } from './types.js';

export const he: MailLocale = {
  code: 'he',
  name: 'Hebrew',
  attribution: { verbs: ['כתב'] },
  separators: { originalMessage: ['הודעה מקורית'], forwardedMessage: ['הודעה שהועברה'] },
  subject: { reply: ['תשובה', 'השב'] },
};
