// How much of a draft survived into what the user sent: a normalised word-level edit similarity
// (1 − Levenshtein distance / length of the longer text), 1 = sent as written.

export function editSimilarity(draft: string, sent: string): number {
  const a = words(draft);
  const b = words(sent);
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  // Two rows of the classic dynamic programme; replies are short, so O(n·m) is fine.
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return 1 - (previous[b.length] ?? 0) / Math.max(a.length, b.length);
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export type FeedbackOutcome = 'kept' | 'edited' | 'rewritten';

/** ≥ 0.9 sent essentially as written; ≥ 0.5 lightly edited; below, rewritten. */
export function outcomeOf(similarity: number): FeedbackOutcome {
  if (similarity >= 0.9) return 'kept';
  if (similarity >= 0.5) return 'edited';
  return 'rewritten';
}
