// French mail phrases: Gmail, Apple Mail, Thunderbird, K-9 and Outlook as they write them in French.
import type { MailLocale } from './types.js';

export const fr: MailLocale = {
  code: 'fr',
  name: 'French',
  attribution: {
    verbs: ['a écrit', 'a ecrit'], // Gmail, Apple Mail ("Le 3 janv. 2023 à 10:12, Ann <a@b> a écrit :")
    startWords: ['le'],
    midLineStartWords: ['Le'],
    parsedStartWords: ['le'],
    parsedVerbPatterns: ['a [ée]crit'],
    nameConnectivePatterns: ['de'],
  },
  monthAbbreviations: ['janv', 'févr', 'fév', 'avr', 'mai', 'juil', 'déc'],
  monthPrefixes: [
    ['janv', 1],
    ['févr', 2],
    ['fevr', 2],
    ['fév', 2],
    ['fev', 2],
    ['mars', 3],
    ['avr', 4],
    ['mai', 5],
    ['juin', 6],
    ['juil', 7],
    ['août', 8],
    ['aout', 8],
    ['sept', 9],
    ['déc', 12],
  ],
  headerLabels: {
    from: ['de', 'expéditeur'],
    date: ['envoyé le', 'envoyé', 'envoye', "date d'envoi", 'message du'],
    to: ['à', 'destinataire', 'pour'], // pour: Thunderbird's forwarded header
    cc: ['copie à', 'copie'],
    subject: ['objet', 'sujet'],
    other: ['répondre à', 'pièces jointes'],
  },
  separators: {
    originalMessage: [
      "message d'origine",
      'message d’origine',
      'message original',
      'courriel d’origine', // K-9 Mail
      "courriel d'origine",
      'courriel original',
    ],
    forwardedMessage: [
      'message transféré',
      'message transmis',
      'courriel transféré',
      'message réexpédié',
      'courriel transmis',
      'e-mail transféré',
    ],
    beginForwarded: ['début du message réexpédié', 'début du message transféré'],
  },
  deviceFooters: [
    /^(?:envoyé|envoye)(?: sans fil)? (?:de|depuis|à partir de|a partir de|par|avec|du) (?:mon |ma |l'|un |une )?(.+)$/i,
  ],
  signOffs: [
    'cordialement',
    'bien cordialement',
    'bien à vous',
    'amicalement',
    'amitiés',
    'bonne journée',
    'bonne soirée',
    'merci',
    'merci beaucoup',
    'salutations',
    'sincères salutations',
    'bisous',
    'bises',
  ],
  signature: {
    contactLabels: ['tél'],
    companyFormPatterns: ['s\\.?a\\.?'],
    titlePatterns: ['directeur', 'directrice', 'gérante?', 'responsable'],
    streetPrefixes: ['rue', 'avenue', 'boulevard', 'bd', 'place', 'chemin', 'allée'],
    boxPatterns: ['bp'],
  },
  disclaimerPatterns: [
    'ce (?:message|courriel|e-?mail)(?: et (?:toutes )?(?:les|ses) pièces jointes)? (?:sont|est|peu(?:ven)?t contenir) (?:strictement )?(?:confidentiel|établis|destiné)',
    "si vous (?:avez reçu ce (?:message|courriel) par erreur|n'êtes pas (?:le )?destinataire)",
  ],
  subject: {
    reply: ['réf', 'ref', 'rép'], // Référence, Réponse
    forwardPatterns: ['tr'],
    bounce: ['non remis'],
    calendar: ['invitation', 'invitation mise à jour', 'accepté', 'refusé'],
    autoReplyPatterns: ['r[ée]ponse automatique', 'absence du bureau'],
  },
  outOfOffice: {
    greetingPatterns: ['bonjour', 'bonsoir', 'madame', 'monsieur'],
    thanksPatterns: ['merci (?:pour|de) (?:votre|ton) (?:e-?mail|message|mail|courriel)'],
    openingPatterns: [
      '(?:ceci est une? )?(?:r[ée]ponse|message) automatique',
      'je suis(?: actuellement| en ce moment)? (?:absente?|en (?:cong[ée]s?|vacances)|hors du bureau|en d[ée]placement)',
      'je serai (?:absente?|en (?:cong[ée]s?|vacances)|hors du bureau)[^!?\\n]{0,30}?\\b(?:jusqu|du|à partir)',
    ],
  },
  forwardNote: {
    trivialPhrases: ['pour information', 'pour info', 'voir ci-dessous', 'voir ci dessous', 'pour ta gouverne', 'pfi'],
    courtesyPhrases: ['bien à toi', 'bien à vous'],
    courtesyWords: ['bonjour', 'salut', 'merci', 'cordialement', 'bises', 'amitiés'],
  },
};
