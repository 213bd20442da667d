// Portuguese mail phrases (Brazil and Portugal). The device footer "Enviado do meu iPhone" is Spanish's pattern (es.ts).
import type { MailLocale } from './types.js';

export const pt: MailLocale = {
  code: 'pt',
  name: 'Portuguese',
  attribution: {
    verbs: ['escreveu'], // "Em … escreveu:"
    startWords: ['em'],
    midLineStartWords: ['Em'],
    parsedStartWords: ['em'],
    parsedVerbPatterns: ['escreveu'],
  },
  monthAbbreviations: ['fev', 'abr', 'ago', 'set', 'out'],
  monthPrefixes: [
    ['fev', 2],
    ['set', 9],
    ['out', 10],
  ],
  headerLabels: {
    from: ['de', 'remetente'],
    date: ['enviado', 'enviada', 'data'],
    to: ['para'],
    subject: ['assunto'],
  },
  separators: {
    originalMessage: ['mensagem original'],
    forwardedMessage: ['mensagem encaminhada', 'mensagem reencaminhada'],
    beginForwarded: ['início da mensagem reencaminhada', 'início da mensagem encaminhada'],
  },
  signOffs: ['atenciosamente', 'abraços', 'obrigado', 'obrigada', 'cumprimentos'],
  signature: { streetPrefixes: ['rua', 'avenida', 'praça'] },
  subject: {
    reply: ['res'], // Resposta
    forwardPatterns: ['enc'], // Encaminhado
  },
};
