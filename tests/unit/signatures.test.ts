// Learning the user's own signature from repetition (src/mail/signatures), and replyText removing it.
import { describe, expect, it } from 'vitest';
import { replyText } from '../../src/mail/reply-text.js';
import { learnSignatures } from '../../src/mail/signatures.js';

const BLOCK = 'Anna Jansen\nHead of Sales | Acme B.V.\n+31 6 1234 5678';
const SIGN_OFFS = ['Groetjes,\nAnna', 'Best, Anna', 'Met vriendelijke groet,\nAnna', 'Cheers,\nA.'];

/** n sent bodies: varying text and sign-off, the same signature block in `withBlock` of them. */
function sentMail(n: number, withBlock: number, block = BLOCK): string[] {
  return Array.from({ length: n }, (_, i) => {
    const signOff = SIGN_OFFS[i % SIGN_OFFS.length];
    const tail = i < withBlock ? `\n${block}` : '';
    return `Hoi,\n\nBericht nummer ${i} over project ${i * 7}.\n\n${signOff}${tail}`;
  });
}

describe('learnSignatures', () => {
  it('learns the recurring block and leaves the varying sign-offs out of it', () => {
    const learned = learnSignatures(sentMail(40, 30));
    console.log('learned:', JSON.stringify(learned));
    expect(learned).toEqual([BLOCK]);
  });

  it('needs the block in max(3, 10%) of the bodies by default, or minCount', () => {
    expect(learnSignatures(sentMail(100, 9))).toEqual([]);
    expect(learnSignatures(sentMail(100, 10))).toEqual([BLOCK]);
    expect(learnSignatures(sentMail(10, 2))).toEqual([]);
    expect(learnSignatures(sentMail(10, 3))).toEqual([BLOCK]);
    expect(learnSignatures(sentMail(100, 5), { minCount: 5 })).toEqual([BLOCK]);
  });

  it('normalises whitespace and does not let a name under a bare sign-off into the block', () => {
    const bodies = Array.from(
      { length: 6 },
      (_, i) => `Tekst ${i}.\r\n\r\nGroetjes,\r\nAnna\r\n  Acme   B.V.  \r\nwww.acme.nl\r\n`,
    );
    expect(learnSignatures(bodies)).toEqual(['Acme B.V.\nwww.acme.nl']);
  });

  it('does not learn repeated prose, sign-offs or one-line footers', () => {
    const bodies = Array.from(
      { length: 20 },
      (_, i) => `Vraag ${i}?\n\nLet me know what you think about it.\nThanks,\nAnna\n\nSent from my iPhone`,
    );
    expect(learnSignatures(bodies)).toEqual([]);
  });

  it('returns the more frequent of two blocks first, and a shorter block only when it also recurs on its own', () => {
    const mobile = 'Anna Jansen\n+31 6 1234 5678';
    const bodies = [...sentMail(30, 30), ...sentMail(12, 12, mobile)];
    expect(learnSignatures(bodies)).toEqual([BLOCK, mobile]);
  });
});

describe('replyText with learned signatures', () => {
  it('removes the learned block from a new message and keeps the sign-off', () => {
    const own = learnSignatures(sentMail(40, 30));
    const r = replyText({ text: `Top, dank je!\n\nGroetjes,\nAnna\n${BLOCK}\n` }, { ownSignatures: own });
    expect(r.text).toBe('Top, dank je!\n\nGroetjes,\nAnna');
    expect(r.signature).toBe(BLOCK);
  });

  it('removes it under a quote-stripped reply with a mobile footer, and not where it is not at the end', () => {
    const own = [BLOCK];
    const reply = replyText(
      {
        text: `Ja.\n\n${BLOCK}\n\nSent from my iPhone\n\nOn Tue, 3 Jan 2023 at 10:12, Piet <p@x.nl> wrote:\n> Kom je?`,
      },
      { ownSignatures: own },
    );
    expect(reply.text).toBe('Ja.');
    const middle = replyText({ text: `${BLOCK}\n\nis wie ik ben, schreef ze.` }, { ownSignatures: own });
    expect(middle.text).toBe(`${BLOCK}\n\nis wie ik ben, schreef ze.`);
  });
});
