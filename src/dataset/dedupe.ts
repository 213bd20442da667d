// Duplicate replies: the same reply stored twice (two Sent folders, a resent copy, an export with new Message-IDs
// and a skewed clock), and templates sent many times, which would otherwise teach the model one canned text.

export interface DedupeItem {
  key: string;
  text: string;
  /** ms since the epoch */
  date: number;
  /** Identifies the parent: its content id, or for a reconstructed parent its sender and text. */
  parentKey: string;
  /** The thread the reply belongs to (its base subject), so copies with different parents still meet. */
  thread: string;
}

export interface DedupeResult {
  keep: Set<string>;
  /** key → 'duplicate' | 'template', for the ones dropped */
  dropped: Map<string, 'duplicate' | 'template'>;
  /** key of a dropped duplicate → key of the copy that was kept */
  duplicateOf: Map<string, string>;
}

/** A reply this long (in words) or longer counts as a template when it repeats. */
const TEMPLATE_MIN_WORDS = 12;
/** Copies of one reply made by exports and migrations carry dates hours apart (a wrong zone, a skewed clock). */
const COPY_WINDOW_MS = 3 * 86_400_000;

/**
 * Keeps the oldest of each duplicate group. Duplicates: the same normalised text to the same parent; the same text
 * in the same thread within three days (a copy with another Message-ID and a skewed date, whose parent may be
 * another copy too); the same text sent within two minutes. Templates: longer texts that are the same up to digits
 * and whitespace, kept `keepTemplates` times. Short replies ("Thanks, will do!") repeat across threads because
 * people write them often; they are kept.
 */
export function dedupeReplies(items: readonly DedupeItem[], keepTemplates = 3): DedupeResult {
  const sorted = [...items].sort((a, b) => a.date - b.date || a.key.localeCompare(b.key));
  const keep = new Set<string>();
  const dropped = new Map<string, 'duplicate' | 'template'>();
  const duplicateOf = new Map<string, string>();
  const byParent = new Map<string, string>();
  const byThread = new Map<string, { key: string; date: number }>();
  const lastSeen = new Map<string, { key: string; date: number }>();
  const templates = new Map<string, number>();
  for (const item of sorted) {
    const exact = item.text.toLowerCase().replace(/\s+/g, ' ').trim();
    const parentKey = `${item.parentKey}\u0000${exact}`;
    const threadKey = `${item.thread}\u0000${exact}`;
    const previous = lastSeen.get(exact);
    const inThread = byThread.get(threadKey);
    const original =
      byParent.get(parentKey) ??
      (inThread && item.date - inThread.date <= COPY_WINDOW_MS ? inThread.key : undefined) ??
      (previous && item.date - previous.date <= 120_000 ? previous.key : undefined);
    if (original !== undefined) {
      dropped.set(item.key, 'duplicate');
      duplicateOf.set(item.key, original);
      continue;
    }
    byParent.set(parentKey, item.key);
    byThread.set(threadKey, { key: item.key, date: item.date });
    lastSeen.set(exact, { key: item.key, date: item.date });
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
  return { keep, dropped, duplicateOf };
}
