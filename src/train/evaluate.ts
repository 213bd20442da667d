// Scores generated replies against what the user really sent: chrF (Popović 2015, the
// character n-gram F-score sacreBLEU reports, n ≤ 6, β = 2) and whether the greeting, the
// sign-off and the language are the user's. chrF is a few lines of arithmetic: no dependency.
import { detectLanguage } from '../mail/language.js';

const CHAR_ORDER = 6;
const BETA = 2;

/** chrF on a 0–100 scale; whitespace is ignored, as in sacreBLEU's default. */
export function chrF(hypothesis: string, reference: string): number {
  const hyp = hypothesis.replace(/\s+/g, '');
  const ref = reference.replace(/\s+/g, '');
  if (!hyp.length || !ref.length) return hyp.length === ref.length ? 100 : 0;
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 1; n <= CHAR_ORDER; n++) {
    const h = ngrams(hyp, n);
    const r = ngrams(ref, n);
    const hTotal = Math.max(0, hyp.length - n + 1);
    const rTotal = Math.max(0, ref.length - n + 1);
    if (hTotal === 0 || rTotal === 0) continue;
    let match = 0;
    for (const [gram, count] of h) match += Math.min(count, r.get(gram) ?? 0);
    precision += match / hTotal;
    recall += match / rTotal;
    orders++;
  }
  if (orders === 0) return 0;
  precision /= orders;
  recall /= orders;
  if (precision + recall === 0) return 0;
  const b2 = BETA * BETA;
  return (100 * ((1 + b2) * precision * recall)) / (b2 * precision + recall);
}

function ngrams(text: string, n: number): Map<string, number> {
  const chars = [...text];
  const out = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join('');
    out.set(gram, (out.get(gram) ?? 0) + 1);
  }
  return out;
}

export interface StyleOf {
  greeting: string | null;
  signOff: string | null;
  language: string;
}

/**
 * The opening word of the first line ("Hi", "Hoi", "Dear") and the closing of the last lines
 * ("cheers, anna"), lower-cased, punctuation dropped.
 */
export function styleOf(text: string): StyleOf {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const first = lines[0] ?? '';
  const greeting = first.split(/[\s,!:]+/)[0]?.toLowerCase() || null;
  const closingLines = lines.length > 1 ? lines.slice(-2) : [];
  // "Cheers,\nAnna" and "Cheers, Anna" are the same sign-off; a long last line is not one.
  const closing = closingLines.filter((l) => l.split(/\s+/).length <= 4).join(' ');
  const signOff = closing
    ? closing
        .toLowerCase()
        .replace(/[^\p{L}\p{N} ]+/gu, ' ')
        .replace(/\s+/g, ' ')
        .trim() || null
    : null;
  return { greeting, signOff, language: detectLanguage(text) };
}

export interface ReplyScore {
  chrf: number;
  greeting: boolean;
  signOff: boolean;
  language: boolean;
  /** Greeting, sign-off and language all as the user writes them. */
  style: boolean;
}

export function scoreReply(generated: string, reference: string): ReplyScore {
  const g = styleOf(generated);
  const r = styleOf(reference);
  const greeting = g.greeting !== null && g.greeting === r.greeting;
  const signOff = g.signOff !== null && g.signOff === r.signOff;
  const language = r.language === 'und' || g.language === r.language;
  return { chrf: chrF(generated, reference), greeting, signOff, language, style: greeting && signOff && language };
}

export interface EvalSummary {
  samples: number;
  chrf: number;
  greeting: number;
  signOff: number;
  language: number;
  style: number;
}

export function summarize(scores: readonly ReplyScore[]): EvalSummary {
  const n = scores.length || 1;
  const mean = (f: (s: ReplyScore) => number) => scores.reduce((a, s) => a + f(s), 0) / n;
  return {
    samples: scores.length,
    chrf: mean((s) => s.chrf),
    greeting: mean((s) => (s.greeting ? 1 : 0)),
    signOff: mean((s) => (s.signOff ? 1 : 0)),
    language: mean((s) => (s.language ? 1 : 0)),
    style: mean((s) => (s.style ? 1 : 0)),
  };
}
