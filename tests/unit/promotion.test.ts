// Promotion rules (a measured win over the prompted route on loss and chrF, and over the promoted
// version on chrF; ties are not wins), the cold-start choice of past replies and its rendering.
import { describe, expect, it } from 'vitest';
import { coldStartInput, pickStyleExamples } from '../../src/model/cold-start.js';
import { renderConversation } from '../../src/model/prompt.js';
import { decidePromotion } from '../../src/train/promotion.js';
import { type RouteScore, type RouteSummary, summarizeRoute } from '../../src/train/routes.js';

const route = (chrf: number, loss: number | null, samples = 8): RouteSummary => ({
  samples,
  chrf,
  loss,
  lossTokens: samples * 20,
  greeting: 0.5,
  signOff: 0.5,
  language: 1,
  style: 0.5,
  lengthRatio: 1,
});

describe('decidePromotion', () => {
  it('promotes a candidate that beats the prompted route on loss and chrF, naming the numbers', () => {
    const d = decidePromotion({ candidate: { id: 1, summary: route(40, 2.5) }, prompted: route(20, 4), current: null });
    expect(d).toMatchObject({ promote: true, code: 'PROMOTED' });
    expect(d.why).toBe('loss 4.000 → 2.500 and chrF 20.0 → 40.0 over the prompted route, on 8 held-out messages');
    expect(d.margin.loss).toBeCloseTo(-1.5);
    expect(d.margin.chrf).toBeCloseTo(20);
  });

  it('refuses a candidate whose loss is not lower, even with a better chrF', () => {
    const d = decidePromotion({ candidate: { id: 2, summary: route(40, 4) }, prompted: route(20, 4), current: null });
    expect(d).toMatchObject({ promote: false, code: 'LOSS_NOT_BETTER' });
    expect(d.why).toContain("loss of your real replies 4.000 is not below the prompted route's 4.000");
    expect(d.why).toContain('drafts keep using the prompted route');
  });

  it('refuses a candidate whose chrF is not above the prompted route', () => {
    const d = decidePromotion({ candidate: { id: 2, summary: route(19.5, 2) }, prompted: route(20, 4), current: null });
    expect(d).toMatchObject({ promote: false, code: 'CHRF_NOT_BETTER' });
    expect(d.why).toContain("chrF 19.5, not above the prompted route's 20.0");
  });

  it('with a promoted version: a tie is not a win (retraining on unchanged data promotes nothing)', () => {
    const same = route(35, 2);
    const d = decidePromotion({
      candidate: { id: 2, summary: same },
      prompted: route(20, 4),
      current: { id: 1, summary: same },
    });
    expect(d).toMatchObject({ promote: false, code: 'NOT_BETTER_THAN_CURRENT' });
    expect(d.why).toContain("chrF 35.0, not above the promoted version 1's 35.0");
    expect(d.why).toContain('version 1 stays');
  });

  it('with a promoted version: a better chrF promotes, and the reason names both comparisons', () => {
    const d = decidePromotion({
      candidate: { id: 3, summary: route(41, 2) },
      prompted: route(20, 4),
      current: { id: 2, summary: route(35, 2.1) },
    });
    expect(d.promote).toBe(true);
    expect(d.why).toContain('chrF 35.0 → 41.0 over version 2');
  });

  it('without held-out replies there is no measured win: not promoted (never "vs version 1" with nothing measured)', () => {
    const d = decidePromotion({
      candidate: { id: 2, summary: route(0, null, 0) },
      prompted: route(0, null, 0),
      current: null,
    });
    expect(d).toMatchObject({ promote: false, code: 'NO_HELD_OUT' });
    expect(d.why).toMatch(/no held-out replies to measure version 2 on/);
  });
});

describe('summarizeRoute', () => {
  it('weights the loss by tokens and averages the length ratio', () => {
    const score = (loss: number | null, tokens: number, ratio: number | null): RouteScore => ({
      accountId: 1,
      replyKey: String(Math.random()),
      generated: 'x',
      chrf: 50,
      greeting: true,
      signOff: false,
      language: true,
      style: false,
      lengthRatio: ratio,
      loss,
      lossTokens: tokens,
    });
    const s = summarizeRoute([score(1, 10, 1), score(4, 30, 3), score(null, 0, null)]);
    expect(s.loss).toBeCloseTo((10 + 120) / 40);
    expect(s.lossTokens).toBe(40);
    expect(s.lengthRatio).toBeCloseTo(2);
    expect(s.samples).toBe(3);
    expect(s.greeting).toBe(1);
    expect(summarizeRoute([]).loss).toBeNull();
  });
});

describe('cold start', () => {
  const example = (reply: string, correspondent: string, chars = reply.length) => ({
    source: JSON.stringify({ reply }),
    reply_chars: chars,
    correspondent,
  });
  const pool = [
    example('Hi Tom, old', 'tom@x'),
    example('Hoi Eva, ja', 'eva@x'),
    example('long'.repeat(300), 'tom@x'),
    example('Hi Tom, newest', 'tom@x'),
    example('Hi Bob, sure', 'bob@x'),
  ];

  it('picks the newest short replies, the same correspondent first', () => {
    expect(pickStyleExamples(pool, 'tom@x')).toEqual(['Hi Tom, newest', 'Hi Tom, old', 'Hi Bob, sure']);
    expect(pickStyleExamples(pool, 'nobody@x', 2)).toEqual(['Hi Bob, sure', 'Hi Tom, newest']);
    expect(pickStyleExamples([], 'tom@x')).toEqual([]);
  });

  it('shows the chosen replies to the model in the system turn; training prompts have none', () => {
    const input = {
      user: { name: 'Anna', addresses: ['anna@x'] },
      now: Date.UTC(2024, 0, 2),
      incoming: { from: [{ address: 'tom@x' }], to: [], cc: [], date: null, subject: 'Q', body: 'Question?' },
      context: [],
    };
    const [system] = renderConversation(coldStartInput(input, pool, 'tom@x'));
    expect(system?.content).toContain('Some replies you wrote before');
    expect(system?.content).toContain('---\nHi Tom, newest');
    expect(system?.content).toContain('---\nHi Bob, sure');
    const [plain] = renderConversation(input, 'reply');
    expect(plain?.content).not.toContain('Some replies you wrote before');
  });
});
