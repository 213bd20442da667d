// Learns the user's own recurring signature blocks from the replies they sent (pure), so replyText can remove them.
import { cleanLine, hasContactMarker, isBlank, isNameLike, isSignatureLike, signOff } from './quote-patterns.js';

/** Longest block considered, in non-blank lines. */
const MAX_BLOCK_LINES = 10;

/**
 * Given many of the user's own sent bodies (plain text, already quote-stripped), finds the trailing blocks of two or
 * more lines (name / title / phone / company / URL) that recur in at least `minCount` bodies (default: max(3, 10%)),
 * and returns them normalised (lines trimmed, inner whitespace collapsed), most frequent first. The sign-off line
 * ("Best, Anna", or "Groetjes," with the name under it) is never part of a learned block: it stays in the text.
 */
export function learnSignatures(bodies: readonly string[], options: { minCount?: number } = {}): string[] {
  const minCount = options.minCount ?? Math.max(3, Math.ceil(bodies.length * 0.1));
  // Each body votes once for each of its trailing blocks of 2..MAX_BLOCK_LINES lines.
  const counts = new Map<string, number>();
  for (const body of bodies) {
    const tail = signatureRegion(body);
    for (let k = 2; k <= tail.length; k++) {
      const key = tail.slice(tail.length - k).join('\n');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const frequent = [...counts].filter(([, c]) => c >= minCount);
  // How often each block occurs as the tail of a one-line-longer frequent block (one pass over the frequent ones).
  const asTail = new Map<string, number>();
  for (const [block, count] of frequent) {
    const nl = block.indexOf('\n');
    const tail = block.slice(nl + 1);
    if (tail.includes('\n')) asTail.set(tail, (asTail.get(tail) ?? 0) + count);
  }
  const result: [string, number][] = [];
  for (const [block, count] of frequent) {
    const lines = block.split('\n');
    if (lines.length < 3 && !lines.some(hasContactMarker)) continue;
    // Keep a block only where it is not just the tail of a longer frequent block: it must also recur on its own
    // (after varying lines) at least minCount times.
    if (count - (asTail.get(block) ?? 0) >= minCount) result.push([block, count]);
  }
  result.sort((a, b) => b[1] - a[1] || b[0].length - a[0].length);
  return result.map(([block]) => block);
}

/**
 * The last lines of a body that could form a signature: at most MAX_BLOCK_LINES signature-like lines, stopping at
 * prose and at the sign-off (and the name under a bare "Best,"), normalised for comparison.
 */
function signatureRegion(body: string): string[] {
  const lines = body
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => cleanLine(l).trim().replace(/\s+/g, ' '));
  const region: string[] = [];
  for (let k = lines.length - 1; k >= 0 && region.length < MAX_BLOCK_LINES; k--) {
    const line = lines[k] ?? '';
    if (isBlank(line)) continue;
    if (signOff(line) !== null || !isSignatureLike(line)) break;
    // The name under a bare valediction ("Groetjes,\nAnna") belongs to the sign-off.
    let prev = k - 1;
    while (prev >= 0 && isBlank(lines[prev] ?? '')) prev--;
    const prevOff = prev >= 0 ? signOff(lines[prev] ?? '') : null;
    if (prevOff && !prevOff.withName && isNameLike(line)) break;
    region.unshift(line);
  }
  return region;
}
