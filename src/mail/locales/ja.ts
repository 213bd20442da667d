// Japanese mail phrases.
import type { MailLocale } from './types.js';

export const ja: MailLocale = {
  code: 'ja',
  name: 'Japanese',
  attribution: { verbs: ['のメッセージ', '書きました'], parsedVerbPatterns: ['のメッセージ'] }, // iOS
  headerLabels: { from: ['差出人'], date: ['送信日時'], to: ['宛先'], subject: ['件名'] },
  separators: { originalMessage: ['元のメッセージ'], forwardedMessage: ['転送されたメッセージ'] },
  subject: { reply: ['返信', '返覆', '回信'] },
};
