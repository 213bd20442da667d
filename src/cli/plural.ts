// Counted nouns in what the CLI prints: "1 message", "2 messages", never "1 messages".

/**
 * `n` and the noun in the number it takes: `one` for exactly 1, else `many` (default `one`+"s").
 * Only the noun's first word needs to agree: plural(1, 'sent message') → "1 sent message",
 * plural(2, 'pair with warnings', 'pairs with warnings') → "2 pairs with warnings".
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
