// Spanish mail phrases: Gmail, Apple Mail and Outlook as they write them in Spanish.
import type { MailLocale } from './types.js';

export const es: MailLocale = {
  code: 'es',
  name: 'Spanish',
  attribution: {
    verbs: ['escribió', 'escribio', 'ha escrito'], // Gmail ("El mar, 3 ene 2023 a las 10:12, Ann (<a@b>) escribió:")
    startWords: ['el'],
    midLineStartWords: ['El'],
    parsedStartWords: ['el'],
    parsedVerbPatterns: ['escribi[óo]'],
    nameConnectivePatterns: ['de'],
  },
  monthAbbreviations: ['ene', 'abr', 'ago', 'dic'],
  monthPrefixes: [
    ['ene', 1],
    ['abr', 4],
    ['ago', 8],
    ['dic', 12],
  ],
  headerLabels: {
    from: ['de', 'remitente'],
    date: ['enviado el', 'enviado', 'fecha'],
    to: ['para'],
    cc: ['copia'],
    subject: ['asunto'],
    other: ['responder a', 'adjuntos'],
  },
  separators: {
    originalMessage: ['mensaje original'],
    forwardedMessage: ['mensaje reenviado'],
    beginForwarded: ['inicio del mensaje reenviado', 'comienzo del mensaje reenviado'],
  },
  deviceFooters: [
    // Spanish and Portuguese share the participle ("Enviado desde mi iPhone", "Enviado do meu iPhone"): one pattern.
    /^enviad[oa] (?:desde|con|do|da|pelo|pela|a partir d[eo]) (?:mi |meu |minha |o |a |el |la )?(.+)$/i,
  ],
  signOffs: [
    'saludos',
    'un saludo',
    'saludos cordiales',
    'un abrazo',
    'abrazos',
    'atentamente',
    'gracias',
    'muchas gracias',
  ],
  signature: {
    contactLabels: ['móvil'],
    companyFormPatterns: ['s\\.?a\\.?', 's\\.?l\\.?'],
    titlePatterns: ['directora?', 'gerente'],
    streetPrefixes: ['calle', 'avenida', 'plaza', 'paseo'],
    boxPatterns: ['apartado'],
  },
  disclaimerPatterns: [
    'este (?:mensaje|correo)(?: electrónico)?(?: y sus (?:anexos|adjuntos))? (?:es|son|puede contener|contiene) (?:confidencial|información confidencial|privilegiad)',
    'si (?:usted )?(?:ha recibido este (?:mensaje|correo) por error|no es el destinatario)',
  ],
  subject: {
    forwardPatterns: ['rv'],
    bounce: ['no se puede entregar'],
    calendar: ['invitación', 'invitación actualizada', 'aceptado', 'rechazado'],
    autoReplyPatterns: ['respuesta autom[áa]tica', 'fuera de la oficina'],
  },
  outOfOffice: {
    greetingPatterns: ['hola', 'estimad[oa]s?', 'buenos d[íi]as', 'buenas tardes'],
    thanksPatterns: ['(?:muchas )?gracias por (?:su|tu) (?:e-?mail|mensaje|correo)(?: electr[óo]nico)?'],
    openingPatterns: [
      '(?:este es un |esta es una )?(?:respuesta|mensaje) autom[áa]tic[oa]',
      '(?:estoy|me encuentro)(?: actualmente| ahora)? (?:fuera de la oficina|de vacaciones|ausente)',
      'estar[ée] (?:fuera de la oficina|de vacaciones|ausente)[^!?\\n]{0,30}?\\b(?:hasta|del|desde|a partir)',
    ],
  },
  forwardNote: {
    trivialPhrases: [
      'para tu información',
      'para su información',
      'para tu info',
      'para su info',
      'ver abajo',
      'véase abajo',
    ],
    courtesyPhrases: ['muchas gracias', 'un saludo'],
    courtesyWords: ['hola', 'gracias', 'saludos', 'abrazo'],
  },
};
