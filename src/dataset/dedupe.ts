// Duplicate replies: the same reply stored twice (two Sent folders, a resent copy, an export with new Message-IDs
// and a skewed clock), and templates sent many times, which would otherwise teach the model one canned text.

export interface DedupeItem {
  key: string;
  text: string;
  /** ms since the epoch */
  date: number;
  /**
   * Identifies the parent by its content, so that copies of one incoming message (new Message-IDs, skewed dates)
   * are one parent: for a stored parent its sender and text, for a reconstructed one its quoted sender, date and
   * text. Empty when the parent is unknown.
   */
  parentKey: string;
  /** The reply's recipients (To and Cc addresses, lower case, any order); none given counts as none. */
  recipients?: readonly string[];
  /** The thread the reply belongs to (its base subject). */
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
 * Keeps the oldest of each duplicate group. Copies of one reply have the same normalised text AND the same parent
 * (`parentKey`), in the same thread within three days (the same answer to the same question weeks apart is two
 * examples); when the parent of either is unknown, the same text to the same recipients in the same thread
 * within three days. The same short text answering different parents or sent to different people ("Yes, see you
 * there." to three invitations) is three replies, never copies. Templates: texts of 12 words or more that are the
 * same up to digits and punctuation, kept `keepTemplates` times; shorter stock replies repeat because people write
 * them often, and are all kept.
 */
export function dedupeReplies(items: readonly DedupeItem[], keepTemplates = 3): DedupeResult {
  const sorted = [...items].sort((a, b) => a.date - b.date || a.key.localeCompare(b.key));
  const keep = new Set<string>();
  const dropped = new Map<string, 'duplicate' | 'template'>();
  const duplicateOf = new Map<string, string>();
  /** thread + parent + text → the earlier replies with a known parent */
  const byParent = new Map<string, { key: string; date: number }[]>();
  /** thread + recipients + text → the earlier replies, for the copies whose parent is unknown */
  const byAudience = new Map<string, { key: string; date: number; parentKnown: boolean }[]>();
  const templates = new Map<string, number>();
  for (const item of sorted) {
    const exact = item.text.toLowerCase().replace(/\s+/g, ' ').trim();
    const parentKnown = item.parentKey !== '';
    const parentKey = [item.thread, item.parentKey, exact].join('\u0000');
    const sameParent = parentKnown ? (byParent.get(parentKey) ?? []) : [];
    const audienceKey = [item.thread, [...new Set(item.recipients ?? [])].sort().join(','), exact].join('\u0000');
    const earlier = byAudience.get(audienceKey) ?? [];
    const original =
      sameParent.find((e) => item.date - e.date <= COPY_WINDOW_MS)?.key ??
      earlier.find((e) => (!parentKnown || !e.parentKnown) && item.date - e.date <= COPY_WINDOW_MS)?.key;
    if (original !== undefined) {
      dropped.set(item.key, 'duplicate');
      duplicateOf.set(item.key, original);
      continue;
    }
    if (parentKnown) byParent.set(parentKey, [...sameParent, { key: item.key, date: item.date }]);
    byAudience.set(audienceKey, [...earlier, { key: item.key, date: item.date, parentKnown }]);
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
