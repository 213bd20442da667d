// The cold-start route (prompting instead of fine-tuning): before a trained version exists, the
// base model is shown a few of the user's own past replies. Pure, so that drafting and the
// evaluation that compares this route with a tuned version build exactly the same prompt.
import type { PromptInput } from './prompt.js';

/** The fields of a stored example (src/store/dataset.ts StoredExample) the choice needs. */
export interface StyleExampleSource {
  /** JSON {input, reply} as the dataset stored it. */
  source: string;
  reply_chars: number;
  /** Address of the sender the user replied to. */
  correspondent: string | null;
}

/** Replies longer than this (characters) are not shown: they crowd out the message to answer. */
export const MAX_STYLE_EXAMPLE_CHARS = 700;
/** How many past replies the base model is shown. */
export const STYLE_EXAMPLES = 3;

/**
 * Up to `limit` of the user's past replies for a message from `sender`: the newest short ones,
 * replies to the same correspondent first. `pool` is in the store's order (oldest first), and
 * must hold only replies written before the message (drafting: all of them; evaluation: the
 * training split, never the held-out reply itself).
 */
export function pickStyleExamples(
  pool: readonly StyleExampleSource[],
  sender: string,
  limit = STYLE_EXAMPLES,
): string[] {
  const short = pool.filter((e) => e.reply_chars <= MAX_STYLE_EXAMPLE_CHARS).reverse();
  const picked = [
    ...short.filter((e) => e.correspondent === sender),
    ...short.filter((e) => e.correspondent !== sender),
  ];
  return picked.slice(0, limit).map((e) => (JSON.parse(e.source) as { reply: string }).reply);
}

/** The prompt input of the cold-start route: `input` with the chosen past replies as examples. */
export function coldStartInput(input: PromptInput, pool: readonly StyleExampleSource[], sender: string): PromptInput {
  return { ...input, examples: pickStyleExamples(pool, sender) };
}
