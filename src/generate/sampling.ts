// Logits processors and stopping criteria for decoding, one small function each (the split
// transformers.js uses): temperature, nucleus (top-p), repetition penalty; end-of-turn,
// length, and a repetition-loop detector that marks degenerate output.

/** mulberry32: a tiny seeded PRNG, so a seed reproduces a draft exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v > max) {
      max = v;
      best = i;
    }
  }
  return best;
}

/** CTRL's penalty (Keskar et al. 2019): divide positive logits of seen tokens, multiply negative ones. */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const v = logits[id];
    if (v === undefined) continue;
    logits[id] = v > 0 ? v / penalty : v * penalty;
  }
}

/**
 * Samples from softmax(logits / temperature) restricted to the smallest set of tokens whose
 * probability reaches `topP` (Holtzman et al. 2019). Only the top candidates are sorted.
 */
export function sampleTopP(logits: Float32Array, temperature: number, topP: number, random: () => number): number {
  if (temperature <= 0) return argmax(logits);
  const k = Math.min(logits.length, 256);
  // Partial selection of the k largest logits: a full sort of 150k entries per token is wasteful.
  const top: { id: number; logit: number }[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (top.length < k || v > floor) {
      top.push({ id: i, logit: v });
      if (top.length > k * 2) {
        top.sort((a, b) => b.logit - a.logit);
        top.length = k;
        floor = top[k - 1]?.logit ?? floor;
      }
    }
  }
  top.sort((a, b) => b.logit - a.logit);
  top.length = Math.min(top.length, k);
  const max = top[0]?.logit ?? 0;
  const weights = top.map((t) => Math.exp((t.logit - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let kept = 0;
  let mass = 0;
  while (kept < top.length && mass < topP * total) mass += weights[kept++] as number;
  let r = random() * mass;
  for (let i = 0; i < kept; i++) {
    r -= weights[i] as number;
    if (r <= 0) return (top[i] as { id: number }).id;
  }
  return (top[Math.max(0, kept - 1)] as { id: number }).id;
}

/**
 * True when the output ends in a loop: the same span of 2–40 tokens three times in a row, or
 * one token 12 times. Small models fall into these; such a draft is refused, not shown.
 */
export function endsInLoop(ids: readonly number[]): boolean {
  const n = ids.length;
  if (n >= 12) {
    const last = ids[n - 1];
    let run = 1;
    for (let i = n - 2; i >= 0 && ids[i] === last; i--) run++;
    if (run >= 12) return true;
  }
  for (let span = 2; span <= 40 && span * 3 <= n; span++) {
    let loop = true;
    for (let i = 0; i < span * 2 && loop; i++) if (ids[n - 1 - i] !== ids[n - 1 - i - span]) loop = false;
    if (loop) return true;
  }
  return false;
}
