// Time-based split: the newest threads form the evaluation set, and a thread is never split.

export interface SplitItem {
  key: string;
  thread: string;
  date: number;
}

/**
 * Assigns whole threads, newest (by their latest reply) first, to 'eval' until at least
 * `fraction` of the items are there; everything else is 'train'. With fewer than two threads
 * everything is training data (there is nothing to hold out without losing the only thread).
 */
export function splitByTime(items: readonly SplitItem[], fraction: number): Map<string, 'train' | 'eval'> {
  const threads = new Map<string, { latest: number; keys: string[] }>();
  for (const item of items) {
    const t = threads.get(item.thread) ?? { latest: Number.NEGATIVE_INFINITY, keys: [] };
    t.latest = Math.max(t.latest, item.date);
    t.keys.push(item.key);
    threads.set(item.thread, t);
  }
  const result = new Map<string, 'train' | 'eval'>();
  for (const item of items) result.set(item.key, 'train');
  if (threads.size < 2 || fraction <= 0) return result;
  const target = Math.max(1, Math.ceil(items.length * fraction));
  const newestFirst = [...threads.entries()].sort((a, b) => b[1].latest - a[1].latest || a[0].localeCompare(b[0]));
  let held = 0;
  for (const [, t] of newestFirst.slice(0, -1)) {
    if (held >= target) break;
    for (const key of t.keys) result.set(key, 'eval');
    held += t.keys.length;
  }
  return result;
}
