// The pairs of the dataset as a user checks them before training (`understudy dataset show`): incoming message,
// reply, how the parent was found, and the warnings of the automatic checks.

import type { Person } from '../model/prompt.js';
import type { Db } from '../store/db.js';
import { type StoredExample, storedExamples } from '../store/examples.js';
import type { PairingInfo } from './build.js';

export interface PairView {
  replyKey: string;
  split: string;
  language: string;
  /** 'headers' | 'quote' | 'reconstructed' */
  pairedBy: string;
  /** The parent is not stored; it was rebuilt from the first message quoted in the reply. */
  reconstructed: boolean;
  evidence: string[];
  warnings: string[];
  incoming: { from: Person[]; date: number | null; subject: string | null; body: string };
  reply: string;
  replyDate: number;
}

export interface ShowOptions {
  /** How many pairs (a random sample when there are more); 0 for all. */
  sample: number;
  /** Seed of the sample, so that the same command shows the same pairs. */
  seed: number;
  /** Only pairs with at least one warning. */
  flagged: boolean;
}

/** The pairs to show, oldest first, and how many matched before sampling. */
export function pairsToShow(db: Db, accountId: number, options: ShowOptions): { total: number; pairs: PairView[] } {
  const all = storedExamples(db, accountId).map(toView);
  const matching = options.flagged ? all.filter((p) => p.warnings.length > 0) : all;
  const chosen =
    options.sample > 0 && matching.length > options.sample ? sample(matching, options.sample, options.seed) : matching;
  return { total: matching.length, pairs: chosen.sort((a, b) => a.replyDate - b.replyDate) };
}

function toView(e: StoredExample): PairView {
  const source = JSON.parse(e.source) as {
    input: { incoming: { from: Person[]; date: number | null; subject: string | null; body: string } };
    reply: string;
  };
  const pairing = e.pairing ? (JSON.parse(e.pairing) as PairingInfo) : null;
  const { from, date, subject, body } = source.input.incoming;
  return {
    replyKey: e.reply_key,
    split: e.split,
    language: e.language,
    pairedBy: e.paired_by,
    reconstructed: pairing?.reconstructed ?? e.paired_by === 'reconstructed',
    evidence: pairing?.evidence ?? [],
    warnings: pairing?.warnings ?? [],
    incoming: { from, date, subject, body },
    reply: source.reply,
    replyDate: e.reply_date,
  };
}

/** `n` items drawn without replacement by a seeded Fisher–Yates shuffle (mulberry32). */
function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}
