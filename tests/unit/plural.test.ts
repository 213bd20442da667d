// The CLI's counted nouns agree with their number.
import { describe, expect, it } from 'vitest';
import { plural } from '../../src/cli/plural.js';

describe('plural', () => {
  it('singular for exactly one, plural for 0, 2 and fractions', () => {
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(0, 'message')).toBe('0 messages');
    expect(plural(2, 'sent message')).toBe('2 sent messages');
    expect(plural(1.5, 'day')).toBe('1.5 days');
    expect(plural(1, 'pair with warnings', 'pairs with warnings')).toBe('1 pair with warnings');
    expect(plural(3, 'pair with warnings', 'pairs with warnings')).toBe('3 pairs with warnings');
  });
});
