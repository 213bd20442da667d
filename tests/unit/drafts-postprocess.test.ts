// What the model wrote is cleaned before it becomes a draft, and refused when no person would send it.
import { describe, expect, it } from 'vitest';
import { replySubject } from '../../src/drafts/compose.js';
import { cleanGenerated } from '../../src/drafts/postprocess.js';
import { editSimilarity, outcomeOf } from '../../src/drafts/similarity.js';
import { endsInLoop } from '../../src/generate/sampling.js';

describe('cleanGenerated', () => {
  const incoming = 'Hi Anna,\n\nCould you send me the quote for the new project?\n\nThanks,\nTom';
  it('keeps a normal reply, sign-off included', () => {
    expect(
      cleanGenerated('Hi Tom,\n\nSure, I will send it tomorrow.\n\nCheers,\nAnna', incoming, 'end_of_turn'),
    ).toEqual({ text: 'Hi Tom,\n\nSure, I will send it tomorrow.\n\nCheers,\nAnna' });
  });
  it('cuts a quoted original the model wrote, and lines copied from the message', () => {
    const out = cleanGenerated(
      'Hi Tom,\n\nWill do.\n\nAnna\n\nOn Mon, 1 Jan 2024, Tom <tom@x> wrote:\n> Could you send me the quote for the new project?',
      incoming,
      'end_of_turn',
    );
    expect(out.text).toBe('Hi Tom,\n\nWill do.\n\nAnna');
    expect(cleanGenerated('Could you send me the quote for the new project?', incoming, 'end_of_turn').refused).toBe(
      'echo',
    );
  });
  it('refuses empty output, loops and garbage', () => {
    expect(cleanGenerated('   ', incoming, 'end_of_turn').refused).toBe('empty');
    expect(cleanGenerated('yes yes yes', incoming, 'repetition').refused).toBe('degenerate');
    expect(cleanGenerated('ok '.repeat(30), incoming, 'max_tokens').refused).toBe('degenerate');
    expect(cleanGenerated('Данные 数据 وصف Ελληνικά 中文字符 русский текст ещё', incoming, 'max_tokens').refused).toBe(
      'garbage',
    );
    expect(cleanGenerated('{}[]();;=>$$##@@!!**&&^^%%{}[]', incoming, 'max_tokens').refused).toBe('garbage');
    expect(
      cleanGenerated('Hi 부 indicative-modRAIN고요ButtonTitles.Build Cheers, Anna', incoming, 'max_tokens').refused,
    ).toBe('garbage');
    // Japanese mixes Han and kana, Chinese text carries Latin names; that is one language each.
    expect(
      cleanGenerated('谢谢你的邮件，我明天把 Excel 文件发给 Tom。', incoming, 'end_of_turn').refused,
    ).toBeUndefined();
    expect(
      cleanGenerated('ありがとうございます。明日送ります。よろしくお願いします。', incoming, 'end_of_turn').refused,
    ).toBeUndefined();
  });
  it('detects repetition loops as they happen', () => {
    expect(endsInLoop([1, 2, 3, 1, 2, 3, 1, 2, 3])).toBe(true);
    expect(endsInLoop(Array(12).fill(5))).toBe(true);
    expect(endsInLoop([1, 2, 3, 4, 5, 6, 7])).toBe(false);
  });
});

describe('subjects and feedback', () => {
  it('prefixes Re: once, whatever the client stacked', () => {
    expect(replySubject('RE: AW: Re: Budget')).toBe('Re: Budget');
    expect(replySubject('Antw: Offerte')).toBe('Re: Offerte');
    expect(replySubject('Réf : Facture')).toBe('Re: Facture');
    expect(replySubject('SV: Möte')).toBe('Re: Möte');
    expect(replySubject('Fwd: Report')).toBe('Re: Fwd: Report');
    expect(replySubject(null)).toBe('Re:');
  });
  it('measures how much of a draft was kept', () => {
    expect(editSimilarity('Hi Tom, sure thing. Cheers, Anna', 'Hi Tom, sure thing. Cheers, Anna')).toBe(1);
    expect(
      outcomeOf(
        editSimilarity(
          'Hi Tom, sure, I will send it tomorrow. Cheers, Anna',
          'Hi Tom, sure, I will send it on Friday. Cheers, Anna',
        ),
      ),
    ).toBe('edited');
    expect(
      outcomeOf(
        editSimilarity('Hi Tom, sure thing.', 'Dear Mr Baker, I am afraid that will not be possible this month.'),
      ),
    ).toBe('rewritten');
  });
});
