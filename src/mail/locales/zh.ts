// Chinese mail phrases.
import type { MailLocale } from './types.js';

export const zh: MailLocale = {
  code: 'zh',
  name: 'Chinese',
  attribution: { verbs: ['写道', '寫道'], startWords: ['在'], parsedStartWords: ['在'], parsedVerbPatterns: ['写道'] },
  dayPeriods: { am: ['上午'], pm: ['下午'] },
  headerLabels: {
    from: ['发件人', '寄件者'],
    date: ['发送时间', '發送時間', '日期'],
    to: ['收件人', '收件者'],
    cc: ['抄送', '副本'],
    subject: ['主题', '主旨'],
  },
  separators: { originalMessage: ['原始邮件', '原始郵件'], forwardedMessage: ['转发的邮件'] },
  // Simplified (Foxmail, Outlook) and Traditional.
  subject: { reply: ['回复', '答复', '回覆', '答覆'] },
};
