// Turns phrase lists into regular-expression text (pure), for the patterns built from src/mail/locales.

/** `s` with every regular-expression metacharacter escaped, so it matches itself. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `words` as the inside of a `(?:…)` group, longest first: a phrase is tried before any shorter phrase it starts with
 * ("il giorno" before "il"), so the longest one is what a match takes. Literal words are escaped; pass
 * `{ patterns: true }` for lists of regex sources. An empty list gives a group that never matches.
 */
export function alternation(words: readonly string[], options: { patterns?: boolean } = {}): string {
  // No words match nothing (an empty alternative would match everywhere).
  if (words.length === 0) return '(?!)';
  return [...words]
    .sort((a, b) => b.length - a.length)
    .map(options.patterns ? (w) => w : escapeRegExp)
    .join('|');
}
