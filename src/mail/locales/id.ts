// Indonesian mail phrases.
import type { MailLocale } from './types.js';

export const id: MailLocale = {
  code: 'id',
  name: 'Indonesian',
  attribution: { verbs: ['menulis'] }, // also Malay
  separators: { originalMessage: ['pesan asli'], forwardedMessage: ['pesan terusan'] },
  subject: { reply: ['bls', 'balas'] }, // Balas
};
