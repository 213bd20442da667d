// Dataset statistics for `understudy dataset stats`: sizes, languages, reply lengths,
// correspondents and why sent messages were left out.
import { unreadableContents } from '../store/content-text.js';
import type { Db } from '../store/db.js';
import { type StoredExample, storedDrops, storedExamples } from '../store/examples.js';

export interface DatasetStats {
  examples: number;
  train: number;
  eval: number;
  /** headers | quote | reconstructed → count */
  pairedBy: Record<string, number>;
  /** Examples whose parent is not stored and was rebuilt from the reply's first quoted message. */
  reconstructed: number;
  /** Examples with at least one warning of the automatic checks (`dataset show --flagged`). */
  flagged: number;
  /** warning → count (pair-warnings.ts) */
  warnings: Record<string, number>;
  languages: Record<string, number>;
  /** Reply length in words: bucket label → count. */
  replyLengthWords: Record<string, number>;
  medianReplyWords: number;
  topCorrespondentDomains: { domain: string; examples: number }[];
  dropped: Record<string, number>;
  /** Copies of a reply left out as duplicates, and the copy that was kept. */
  duplicates: { key: string; keptCopy: string | null }[];
  /** Drop details for the reasons a user may want to look into (unreadable messages). */
  unreadable: { key: string; why: string }[];
  /** Contents of any message (received too) that could not be read. */
  unreadableContents: number;
}

const BUCKETS: [number, string][] = [
  [5, '1-5'],
  [20, '6-20'],
  [50, '21-50'],
  [100, '51-100'],
  [250, '101-250'],
  [Number.POSITIVE_INFINITY, '251+'],
];

export function datasetStats(db: Db, accountId: number): DatasetStats {
  const examples = storedExamples(db, accountId);
  const drops = storedDrops(db, accountId);
  const warnings = examples.map(
    (e) => (e.pairing ? ((JSON.parse(e.pairing) as { warnings?: string[] }).warnings ?? []) : []) as string[],
  );
  const words = examples.map(replyWords).sort((a, b) => a - b);
  const histogram: Record<string, number> = Object.fromEntries(BUCKETS.map(([, label]) => [label, 0]));
  for (const w of words) {
    const label = BUCKETS.find(([max]) => w <= max)?.[1] ?? '251+';
    histogram[label] = (histogram[label] ?? 0) + 1;
  }
  const domains = count(examples.map((e) => e.correspondent?.split('@')[1] ?? '(unknown)'));
  return {
    examples: examples.length,
    train: examples.filter((e) => e.split === 'train').length,
    eval: examples.filter((e) => e.split === 'eval').length,
    pairedBy: count(examples.map((e) => e.paired_by)),
    reconstructed: examples.filter((e) => e.paired_by === 'reconstructed').length,
    flagged: warnings.filter((w) => w.length > 0).length,
    warnings: count(warnings.flat()),
    languages: count(examples.map((e) => e.language)),
    replyLengthWords: histogram,
    medianReplyWords: words.length ? (words[Math.floor(words.length / 2)] ?? 0) : 0,
    topCorrespondentDomains: Object.entries(domains)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([domain, n]) => ({ domain, examples: n })),
    dropped: count(drops.map((d) => d.reason)),
    duplicates: drops
      .filter((d) => d.reason === 'duplicate')
      .map((d) => ({ key: d.reply_key, keptCopy: /^copy of (.+)$/.exec(d.detail ?? '')?.[1] ?? null })),
    unreadable: drops.filter((d) => d.reason === 'unreadable').map((d) => ({ key: d.reply_key, why: d.detail ?? '' })),
    unreadableContents: unreadableContents(db, accountId).length,
  };
}

function replyWords(e: StoredExample): number {
  const messages = (JSON.parse(e.conversation) as { messages: { role: string; content: string }[] }).messages;
  const reply = messages.find((m) => m.role === 'assistant')?.content ?? '';
  return reply.split(/\s+/).filter(Boolean).length;
}

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
