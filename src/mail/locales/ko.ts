// Korean mail phrases.
import type { MailLocale } from './types.js';

export const ko: MailLocale = {
  code: 'ko',
  name: 'Korean',
  // iOS: "2016. 11. 8. 오후 12:39 Ann <a@b> 작성:"
  attribution: { verbs: ['작성'], parsedVerbPatterns: ['작성'] },
  dayPeriods: { am: ['오전'], pm: ['오후'] },
  headerLabels: { from: ['보낸 사람'], date: ['보낸 날짜'], to: ['받는 사람'], subject: ['제목'] },
  separators: { originalMessage: ['원본 메시지'] },
  subject: { reply: ['회신', '답장'] }, // Outlook
};
