// Russian mail phrases.
import type { MailLocale } from './types.js';

export const ru: MailLocale = {
  code: 'ru',
  name: 'Russian',
  attribution: {
    verbs: ['написал(а)', 'написала', 'написал', 'пишет'], // Gmail, mail.ru
    startWords: ['в'],
    parsedVerbPatterns: ['написал\\(а\\)', 'написала', 'написал'],
    // "Thu, 26 Jun 2014 14:00:51 +0400 от Ann <a@b>:" (mail.ru); "… пользователь Ann написал:"
    nameConnectivePatterns: ['от', 'пользователь'],
  },
  headerLabels: {
    from: ['от', 'отправитель'],
    date: ['отправлено', 'дата'],
    to: ['кому'],
    cc: ['копия'],
    subject: ['тема'],
  },
  separators: {
    originalMessage: ['исходное сообщение'],
    forwardedMessage: ['пересылаемое сообщение', 'переадресованное сообщение', 'пересланное сообщение'],
    beginForwarded: ['начало переадресованного сообщения'],
  },
  deviceFooters: [/^отправлено (?:с|из|через) (.+)$/i],
  signOffs: ['с уважением', 'спасибо'],
  subject: { reply: ['отв', 'ответ'] }, // Ответ
};
