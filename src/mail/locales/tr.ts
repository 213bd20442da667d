// Turkish mail phrases.
import type { MailLocale } from './types.js';

export const tr: MailLocale = {
  code: 'tr',
  name: 'Turkish',
  attribution: { verbs: ['yazdı'] },
  headerLabels: {
    from: ['kimden'],
    date: ['gönderildi', 'tarih'],
    to: ['kime'],
    cc: ['bilgi'],
    subject: ['konu'],
  },
  separators: {
    originalMessage: ['orijinal ileti', 'orijinal mesaj'],
    forwardedMessage: ['iletilmiş ileti', 'iletilen ileti'],
  },
  // Yanıt; "YANIT" lower-cases to a plain i, so both spellings.
  subject: { reply: ['ynt', 'yanıt', 'yanit', 'cevap'] },
};
