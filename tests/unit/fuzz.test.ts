// Seeded fuzz suite over the pure byte-to-draft path (decode, bounded headers, threading fields, cleaning and
// classification, quoted original and pairing, triage, prompt, post-processing): a few thousand generated hostile
// messages, and the field/hostile corpus, with zero crashes — nothing thrown but the documented per-message refusals.
// bench/fuzz.bench.ts runs many more, larger ones and reports the time per input.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FuzzGenerator } from '../fixtures/hostile/fuzz-gen.js';
import { byteToDraft } from '../fixtures/hostile/pipeline.js';

/** Inputs per CI run, and the seed that makes them the same on every machine. */
const INPUTS = 2000;
const SEED = 16;
/** Hostile parts at a quarter of the benchmark's sizes (up to ~16 KB), so the suite stays quick on two cores. */
const SCALE = 0.2;

const FIELD = resolve(import.meta.dirname, '../../../shared/corpora/field/hostile');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/hostile');

interface Crash {
  index: number;
  family: string;
  error: string;
}

function describeError(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${String(e?.message ?? err).slice(0, 200)} @ ${(e?.stack ?? '').split('\n')[1]?.trim() ?? ''}`;
}

describe('fuzz: byte-to-draft path', () => {
  it(`${INPUTS} seeded hostile messages: no crash, every one drafted or refused with a reason`, () => {
    const gen = new FuzzGenerator(SEED, SCALE);
    const crashes: Crash[] = [];
    const refused = new Map<string, number>();
    let drafted = 0;
    for (let index = 0; index < INPUTS; index++) {
      const input = gen.next();
      try {
        const result = byteToDraft(input.raw, input.generated);
        if (result.refused === null) drafted++;
        else {
          expect(result.refused.length).toBeGreaterThan(0);
          const kind = result.refused.split(':').slice(0, 2).join(':');
          refused.set(kind, (refused.get(kind) ?? 0) + 1);
        }
      } catch (err) {
        crashes.push({ index, family: input.family, error: describeError(err) });
      }
    }
    expect(crashes).toEqual([]);
    // The generator must reach both ends of the path, or it tests nothing: some messages become drafts, and the
    // typed refusals (decode errors, junk classes, missing sender or id) all occur.
    expect(drafted).toBeGreaterThan(0);
    for (const kind of ['decode:EMPTY', 'decode:NOT_A_MESSAGE', 'no_sender', 'no_message_id', 'auto_reply'])
      expect(refused.get(kind) ?? 0, kind).toBeGreaterThan(0);
  });

  it('the same seed gives the same inputs', () => {
    const a = new FuzzGenerator(SEED, SCALE);
    const b = new FuzzGenerator(SEED, SCALE);
    for (let i = 0; i < 50; i++) expect(a.next().raw.equals(b.next().raw)).toBe(true);
  });

  const files = [
    ...readdirSync(FIELD)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => resolve(FIELD, f)),
    ...readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => resolve(FIXTURES, f)),
  ];

  it.each(files)('%s: threading headers read, drafted or refused with a reason', (file) => {
    const raw = readFileSync(file);
    const result = byteToDraft(raw, 'Thanks, I will look at it tomorrow.');
    // Every hostile fixture carries a Message-ID and a From; no size of any other header may lose them.
    expect(result.messageId).toMatch(/^<[^<>\s]+>$/);
    expect(result.from).toMatch(/@/);
    if (result.refused !== null) expect(result.refused).toMatch(/^[a-z_]+(:|$)/);
  });
});
