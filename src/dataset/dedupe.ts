// Duplicate replies: the same reply stored twice (two Sent folders, a resent copy), and
// templates sent many times, which would otherwise teach the model one canned text.

export interface DedupeItem {
  key: string;
  text: string;
  date: number;
  parentContent: number;
}

export interface DedupeResult {
  keep: Set<string>;
  /** key → 'duplicate' | 'template', for the ones dropped */
  dropped: Map<string, 'duplicate' | 'template'>;
}

/** A reply this long (in words) or longer counts as a template when it repeats. */
const TEMPLATE_MIN_WORDS = 12;

/**
 * Keeps the oldest of each duplicate group. Exact duplicates: same normalised text to the same
 * parent, or the same text sent within two minutes (a copy in a second Sent folder). Templates:
 * longer texts that are the same up to digits and whitespace, kept `keepTemplates` times.
 * Short replies ("Thanks, will do!") repeat because people write them often; they are kept.
 */
export function dedupeReplies(items: readonly DedupeItem[], keepTemplates = 3): DedupeResult {
  const sorted = [...items].sort((a, b) => a.date - b.date || a.key.localeCompare(b.key));
  const keep = new Set<string>();
  const dropped = new Map<string, 'duplicate' | 'template'>();
  const byParent = new Set<string>();
  const lastSeen = new Map<string, number>();
  const templates = new Map<string, number>();
  for (const item of sorted) {
    const exact = item.text.toLowerCase().replace(/\s+/g, ' ').trim();
    const parentKey = `${item.parentContent}\u0000${exact}`;
    const previous = lastSeen.get(exact);
    if (byParent.has(parentKey) || (previous !== undefined && item.date - previous <= 120_000)) {
      dropped.set(item.key, 'duplicate');
      continue;
    }
    byParent.add(parentKey);
    lastSeen.set(exact, item.date);
    const wordCount = exact.split(' ').length;
    if (wordCount >= TEMPLATE_MIN_WORDS) {
      const shape = exact
        .replace(/\d+/g, '#')
        .replace(/[^\p{L}#]+/gu, ' ')
        .trim();
      const seen = templates.get(shape) ?? 0;
      templates.set(shape, seen + 1);
      if (seen >= keepTemplates) {
        dropped.set(item.key, 'template');
        continue;
      }
    }
    keep.add(item.key);
  }
  return { keep, dropped };
}
