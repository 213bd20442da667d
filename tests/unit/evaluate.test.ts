// Evaluation metrics: chrF against known values, greeting/sign-off/language matching.
import { describe, expect, it } from 'vitest';
import { chrF, scoreReply, styleOf, summarize } from '../../src/train/evaluate.js';

describe('chrF', () => {
  it('is 100 for identical text, 0 for nothing shared, ignores whitespace', () => {
    expect(chrF('Thanks, will do!', 'Thanks, will do!')).toBe(100);
    expect(chrF('Thanks,  will\ndo!', 'Thanks, will do!')).toBe(100);
    expect(chrF('xyz', 'abc')).toBe(0);
    expect(chrF('', 'abc')).toBe(0);
  });

  it('rewards overlap, recall weighted more than precision (β = 2)', () => {
    const partial = chrF('Thanks', 'Thanks, will do!');
    expect(partial).toBeGreaterThan(20);
    expect(partial).toBeLessThan(60);
    // Same overlap, but the short side as the reference: precision-heavy, so lower than recall-heavy.
    expect(chrF('Thanks, will do!', 'Thanks')).toBeGreaterThan(partial);
    // Hand-computed: "ab" vs "ac": 1-grams P = R = 1/2, 2-grams 0 → mean P = R = 0.25 → F = 25.
    expect(chrF('ab', 'ac')).toBeCloseTo(25, 6);
  });
});

describe('style', () => {
  it('reads greeting, sign-off and language', () => {
    expect(styleOf('Hoi Pieter,\n\nDe offerte komt donderdag.\n\nGroetjes,\nAnna')).toEqual({
      greeting: 'hoi',
      signOff: 'groetjes anna',
      language: 'nl',
    });
    expect(styleOf('Hi Tom, sure thing. Cheers, Anna').signOff).toBeNull();
  });

  it('counts a reply as in style only when greeting, sign-off and language all match', () => {
    const reference = 'Hi Tom,\n\nThursday works for me, see you then.\n\nCheers,\nAnna';
    expect(scoreReply('Hi Sam,\n\nFriday works for me, I will be there.\n\nCheers,\nAnna', reference).style).toBe(true);
    expect(scoreReply('Dear Tom,\n\nThursday works for me, see you then.\n\nCheers,\nAnna', reference)).toMatchObject({
      greeting: false,
      style: false,
    });
    expect(scoreReply('Hoi Tom,\n\nDonderdag is goed voor mij, tot dan.\n\nGroetjes,\nAnna', reference)).toMatchObject({
      language: false,
      signOff: false,
      style: false,
    });
    const summary = summarize([scoreReply(reference, reference), scoreReply('x', reference)]);
    expect(summary).toMatchObject({ samples: 2, style: 0.5 });
  });
});
