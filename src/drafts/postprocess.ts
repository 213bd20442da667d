// Cleans what the model wrote before it becomes a draft, and refuses what must not be shown.
import { detectLanguage } from '../mail/language.js';
import { replyText } from '../mail/reply-text.js';

export type RefusalReason = 'empty' | 'degenerate' | 'echo' | 'garbage';

export interface Cleaned {
  text: string;
  refused?: RefusalReason;
  detail?: string;
}

/**
 * Trims, removes any quoted or attributed text the model produced (it has seen many replies
 * that quote), drops lines copied from the incoming message, and refuses empty output,
 * repetition loops and replies that mostly repeat the input.
 */
export function cleanGenerated(generated: string, incoming: string, stoppedBy: string): Cleaned {
  if (stoppedBy === 'repetition') return { text: '', refused: 'degenerate', detail: 'the model repeated itself' };
  const own = replyText({ text: generated.replace(/\r\n/g, '\n') }, { keepSignature: true }).text;
  const incomingLines = new Set(
    incoming
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter((l) => l.length >= 25),
  );
  const lines = own.split('\n');
  const kept = lines.filter((l) => !incomingLines.has(l.trim().toLowerCase()));
  const text = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (!text)
    return { text, refused: lines.some((l) => l.trim()) ? 'echo' : 'empty', detail: 'nothing of its own was written' };
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length >= 20 && new Set(words).size / words.length < 0.2)
    return { text, refused: 'degenerate', detail: 'the same few words over and over' };
  const garbage = garbageReason(text);
  if (garbage) return { text, refused: 'garbage', detail: garbage };
  return { text };
}

/** Characters of a draft read to judge whether it is garbage (a long reply is about 3000). */
const GARBAGE_SAMPLE_CHARS = 8000;

const SCRIPTS: [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana/Katakana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
];

/**
 * Text no person would write: mostly symbols, several writing systems mixed at random (what an
 * untrained or broken model emits), or a longer text in no recognisable language.
 */
function garbageReason(full: string): string | null {
  // A sample tells the mix of scripts as well as the whole, and keeps a runaway generation from costing a regex test
  // per character per script.
  const text = full.length > GARBAGE_SAMPLE_CHARS ? full.slice(0, GARBAGE_SAMPLE_CHARS) : full;
  const chars = [...text.replace(/\s+/g, '')];
  if (chars.length < 12) return null;
  const letters = chars.filter((c) => /\p{L}/u.test(c));
  if (letters.length / chars.length < 0.55)
    return `mostly symbols (${Math.round((100 * letters.length) / chars.length)}% letters)`;
  // A reply is written in one script. Chinese and Japanese text often carries Latin words
  // (names, products) and Japanese mixes Han with kana; a Latin, Cyrillic or Greek text with a
  // few letters of another script, or any other mix, is what a broken model emits.
  const present = SCRIPTS.map(([name, re]) => [name, letters.filter((c) => re.test(c)).length] as const).filter(
    ([, n]) => n >= 2,
  );
  const dominant = [...present].sort((a, b) => b[1] - a[1])[0]?.[0];
  const cjk = new Set(['Han', 'Hiragana/Katakana', 'Hangul']);
  const allowed = dominant && cjk.has(dominant) ? new Set([...cjk, 'Latin']) : new Set([dominant]);
  const foreign = present.filter(([name]) => !allowed.has(name));
  if (foreign.length) return `a mix of writing systems (${present.map(([n]) => n).join(', ')})`;
  if (letters.length >= 60 && detectLanguage(text) === 'und') return 'no recognisable language';
  return null;
}
