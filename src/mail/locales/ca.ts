// Catalan mail phrases.
import type { MailLocale } from './types.js';

export const ca: MailLocale = {
  code: 'ca',
  name: 'Catalan',
  attribution: { verbs: ['ha escrit', 'va escriure'], parsedVerbPatterns: ['ha escrit'] },
};
