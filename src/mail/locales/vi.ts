// Vietnamese mail phrases.
import type { MailLocale } from './types.js';

export const vi: MailLocale = {
  code: 'vi',
  name: 'Vietnamese',
  attribution: { verbs: ['đã viết'], startWords: ['vào'], parsedStartWords: ['vào'], parsedVerbPatterns: ['đã viết'] },
  separators: { originalMessage: ['thư gốc'], forwardedMessage: ['thư chuyển tiếp'] },
  subject: { reply: ['trả lời'] },
};
