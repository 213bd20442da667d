// Other instances of each kind of fault in ../shared/corpora/field/reply-text (issue 10): other languages, verbs,
// separators and signature shapes than the field cases, so the rules are general and not fitted to those files.
import { describe, expect, it } from 'vitest';
import { quotedOriginal, replyParts, replyText } from '../../src/mail/reply-text.js';

const REPLY = 'Prima, dan doen we dat.';
const QUOTE = '> Zullen we morgen om tien uur afspreken?\n> Groet, Piet';
const text = (body: string) => replyText({ text: body }).text;

describe('attribution lines the field cases do not show', () => {
  const attributions: [string, string][] = [
    ['name and verb only (it)', 'Marco ha scritto:'],
    ['name and verb only (en)', 'Ann Example wrote:'],
    ['name and verb only (fr)', 'Jean Dupont a écrit :'],
    ['name and verb only (nl)', 'Pieter schreef:'],
    ['name first (nl)', 'Jan Jansen <jan@example.nl> schreef op wo 3 jan. 2024 om 10:12:'],
    ['name first (de, Uhr)', 'Anna Beispiel <anna@example.de> schrieb am Mi., 3. Jan. 2024 um 10:12 Uhr:'],
    ['name first (fr)', 'Marie Dupont <marie@example.fr> a écrit le mer. 3 janv. 2024 à 10:12 :'],
    ['unknown verb (de)', 'Am 03.01.2024 um 10:12 hat Anna <anna@example.de> Folgendes geschrieben:'],
    ['unknown verb (es)', 'El 3 ene 2024, a las 10:12, Juan <juan@example.es> redactó:'],
    ['unknown verb (fi)', 'Ke 3.1.2024 klo 10.12 Matti Meikäläinen <matti@example.fi> kirjoitti viestissään:'],
    ['date first, no address', '2024-01-03 10:12 GMT+01:00 Ann Example:'],
  ];
  for (const [what, line] of attributions) {
    it(`${what}: "${line}"`, () => {
      const r = replyText({ text: `${REPLY}\n\n${line}\n\n${QUOTE}\n` });
      expect(r.text).toBe(REPLY);
      expect(r.quoted).toBe(true);
    });
  }

  it('date-first lines above `|`-quoted text', () => {
    for (const line of ['2024-01-03 10:12 GMT+01:00 Ann Example:', '03.01.2024 10:12, Ann <ann@example.org>:']) {
      const body = `${REPLY}\n\n${line}\n| Zullen we morgen afspreken?\n|\n| Groet, Piet\n`;
      expect(text(body)).toBe(REPLY);
      expect(quotedOriginal({ text: body })?.text).toBe('Zullen we morgen afspreken?\n\nGroet, Piet');
    }
  });

  it('keeps prose that merely ends in "wrote:" or a colon when no quote follows', () => {
    const body =
      'As my colleague Ann wrote:\nthe build is broken since Monday.\n\nOn 3 May I mailed ann@example.org about this:\nno answer yet.\n\nSo I will call her tomorrow and let you know what she says.';
    expect(text(body)).toBe(body);
  });

  it('keeps a table written with bars', () => {
    const body = 'Hier de cijfers:\n\n| maand | omzet |\n| jan | 10 |\n| feb | 12 |\n\nGroet, Piet';
    expect(text(body)).toBe(body);
  });
});

describe('Lotus Notes header blocks in other shapes', () => {
  const block = 'To: Bob Jones/HOU/ECT@ECT\ncc:  \nSubject: Re: plan\n\nWhat about the plan?';

  it('repeated name/date lines, European dates', () => {
    const body = `Thanks, will do.\n\nBob\n\n\nAlice Smith/LON/ECT@ECT\n15/05/2000 17:14\nAlice Smith/LON/ECT@ECT\n15/05/2000 17:14\n${block}`;
    expect(text(body)).toBe('Thanks, will do.\n\nBob');
    expect(quotedOriginal({ text: body })?.attribution?.name).toMatch(/^Alice Smith/);
  });

  it('"Please respond to" under the sender line, and a dotted date', () => {
    const body = `Fine by me.\n\n\n"Carol Diaz" <carol@example.com> on 03.01.2001 09:05:12\nPlease respond to carol@example.com\n${block}`;
    expect(text(body)).toBe('Fine by me.');
    expect(quotedOriginal({ text: body })?.attribution).toMatchObject({ address: 'carol@example.com' });
  });

  it('"Sent by:" and "Please respond to" lines between the sender and "To:"', () => {
    const body = `Yes.\n\nJeff\n\n\nJeff Dasovich\n05/17/2001 10:51 AM\nSent by: Jeff Dasovich\nPlease respond to jeff@example.com\n${block}`;
    expect(text(body)).toBe('Yes.\n\nJeff');
    expect(quotedOriginal({ text: body })?.attribution).toMatchObject({
      name: 'Jeff Dasovich',
      date: '05/17/2001 10:51 AM',
    });
  });

  it('letterhead lines over a From: line with the date on it', () => {
    const body = `Agreed.\n\nSally\n\n   \n\tAcme Energy Europe Ltd\n\t\n\tFrom:  Dave Lee        12/01/2000 08:15 AM\n\t\n\n${block}`;
    expect(text(body)).toBe('Agreed.\n\nSally');
  });

  it('a reply whose only line holds a time or a date is a reply', () => {
    for (const reply of [
      'See you at 10:30.',
      'Friday 15/05 at 17:14 works for me.',
      '12:30 it is',
      'Moved to 03/01/2001 10:00, ok?',
    ]) {
      const body = `${reply}\n\n\n\t\n\tFrom:  Dave Lee        12/01/2000 08:15 AM\n\t\n\n${block}`;
      expect(text(body), reply).toBe(reply);
    }
  });
});

describe('separators and footers the field cases do not show', () => {
  it('separators in other languages and dash styles, known phrase or not', () => {
    for (const sep of [
      '––––– Mensaje reenviado –––––',
      '====== Původní zpráva ======',
      '-------- Исходное письмо --------',
      '—— Αρχικό μήνυμα ——',
    ]) {
      const r = replyText({
        text: `${REPLY}\n\n${sep}\nFrom: Piet <piet@example.nl>\nDate: 3 Jan 2024\nSubject: plan\n\nTekst`,
      });
      expect(r.text, sep).toBe(REPLY);
    }
    const unknown = replyText({
      text: `${REPLY}\n\n-------- Pesan Asli --------\nDari: Budi <budi@example.id>\nFrom: Budi <budi@example.id>\nDate: 3 Jan 2024\nSubject: rencana\n\nTeks`,
    });
    expect(unknown.text).toBe(REPLY);
  });

  it('device footers glued to dashes or rules', () => {
    for (const footer of [
      '--Sent from my iPhone',
      '___Envoyé de mon iPhone',
      '---Verstuurd vanaf mijn iPhone',
      '– Sent from my Galaxy',
    ]) {
      const r = replyText({ text: `${REPLY}\n\n${footer}\n\nOorspronkelijke tekst hier.` });
      expect(r.text, footer).toBe(REPLY);
      expect(r.quoted, footer).toBe(true);
    }
  });

  it('a "---" line inside the text is a break, not a signature delimiter', () => {
    const body =
      'Eerste punt.\n---\nTweede punt: we moeten de planning van volgende week nog eens goed bekijken.\nDerde punt: de begroting.\n\nGroet, Piet';
    expect(text(body)).toBe(body);
    expect(text('Tot morgen.\n---\nPiet Jansen\n+31 6 1234 5678')).toBe('Tot morgen.');
  });
});

describe('sign-offs stay, signature blocks go', () => {
  it('slash and dash sign-offs are the author’s', () => {
    for (const off of ['//Jef', '/ Jef', '—Ryan', '– Ryan', '/Marie-Claire', '-Anna', '- Marco', '-J.P.', '-Lev.']) {
      const r = replyParts({ text: `Klinkt goed, tot dan.\n\n${off}` });
      expect(r.text, off).toBe(`Klinkt goed, tot dan.\n\n${off}`);
      expect(r.signOff, off).toBe(off);
    }
  });

  it('a hyphen sign-off stays above a device footer or a mailing-list footer, which go', () => {
    expect(text('Works for me.\n\n-Sanne\n\nSent from my Android phone')).toBe('Works for me.\n\n-Sanne');
    const list =
      'Any ideas?\n\n- Pedro Alves\n\n\n____\nusers mailing list\nusers@lists.example.org\nhttps://lists.example.org/listinfo/users';
    expect(text(list)).toBe('Any ideas?\n\n- Pedro Alves');
  });

  it('a paragraph naming a time of day is an appointment the author describes, not a signature address', () => {
    const cases: [string, string][] = [
      [
        'Booked it.\n\nTuesday 14:30 at the clinic\n12 Baker Street\nLondon NW1 6XE\n\nAnna Jansen\nAcme B.V.\n+31 20 123 4567',
        'Booked it.\n\nTuesday 14:30 at the clinic\n12 Baker Street\nLondon NW1 6XE',
      ],
      [
        'See you there.\n\nThe review is 3/4/2024, 10 a.m.\nRoom EB1962\n1400 Smith Street\nHouston, TX 77002\n\nJohn Roe\nEnron Corp.\n713-853-1234',
        'See you there.\n\nThe review is 3/4/2024, 10 a.m.\nRoom EB1962\n1400 Smith Street\nHouston, TX 77002',
      ],
      [
        'Termin steht.\n\nDo. 11:00 Uhr, Praxis Dr. Weber\nMusterstraße 12\n80331 München\n\nJonas Becker\nLeiter Einkauf\n+49 89 1234567',
        'Termin steht.\n\nDo. 11:00 Uhr, Praxis Dr. Weber\nMusterstraße 12\n80331 München',
      ],
    ];
    for (const [body, want] of cases) expect(text(body)).toBe(want);
    // Without a time, the same shape is still a signature address.
    expect(text('Booked it.\n\nAcme Clinic\n12 Baker Street\nLondon NW1 6XE\n+44 20 7946 0000')).toBe('Booked it.');
  });

  it('multi-line address and title blocks go, also without phone or e-mail', () => {
    const nl =
      'Tot volgende week.\n\nAnna\n\nAnna de Vries\nSenior adviseur\nGemeente Utrecht\nStadsplateau 1\n3521 AZ Utrecht';
    expect(text(nl)).toBe('Tot volgende week.\n\nAnna');
    const us =
      'Sounds right.\n\nBill\n\nWilliam Roe\nVice President, Operations\nNorthwind Traders\n200 Pine Avenue, Suite 400\nSeattle, WA 98101';
    expect(text(us)).toBe('Sounds right.\n\nBill');
    const de = 'Passt so.\n\nViele Grüße\nJonas\n\nJonas Becker\nLeiter Einkauf\nMusterstraße 12\n80331 München';
    expect(text(de)).toBe('Passt so.\n\nViele Grüße\nJonas');
  });

  it('a block starting with the full name right under the name signed with: the name stays, the block goes', () => {
    const body =
      'Valery,\n\nI am interested.\n\nVince\nVincent Kaminski\nManaging Director - Research\nEnron Corp.\n1400 Smith Street\nHouston, TX 77002-7361';
    expect(text(body)).toBe('Valery,\n\nI am interested.\n\nVince');
  });

  it('the full name under the name signed with goes; an unrelated last line stays', () => {
    expect(text('Done.\n\nJeff\n\n\nJeffrey Skilling')).toBe('Done.\n\nJeff');
    expect(text('Done.\n\nJeff\n\nMaria Lopez')).toBe('Done.\n\nJeff\n\nMaria Lopez');
  });

  it('lines of invisible marks go', () => {
    for (const mark of ['ᐧ', '\u200b', '\u2060', '\u00ad', ' ᐧ ']) {
      expect(text(`Tot maandag.\n\n${mark}\n`), JSON.stringify(mark)).toBe('Tot maandag.');
    }
  });
});

describe('HTML: a gmail_quote div is a wrapper unless it holds a quote', () => {
  it('keeps text the author wrote inside it', () => {
    const html =
      '<div dir="ltr"><div class="gmail_quote"><div dir="ltr">Hoi Lena,<br><br>Nieuw onderwerp: stuur je de begroting?<br><br>Groet,<br>Omar</div></div></div>';
    expect(replyText({ html }).text).toBe('Hoi Lena,\n\nNieuw onderwerp: stuur je de begroting?\n\nGroet,\nOmar');
  });

  it('keeps text the author wrote above a quote inside the same wrapper', () => {
    const nested =
      '<div dir="ltr"><div class="gmail_quote">Nieuwe tekst.<br><br>Omar<div class="gmail_quote"><div class="gmail_attr">Op wo 3 jan. 2024 om 10:12 schreef Lena &lt;lena@example.org&gt;:<br></div><blockquote class="gmail_quote">Oude tekst</blockquote></div></div></div>';
    expect(replyText({ html: nested }).text).toBe('Nieuwe tekst.\n\nOmar');
    const flat =
      '<div class="gmail_quote"><div>Nieuwe tekst.</div><div class="gmail_attr">On Wed, Jan 3, 2024 at 10:12 AM Lena &lt;lena@example.org&gt; wrote:<br></div><blockquote class="gmail_quote">Oude tekst</blockquote></div>';
    const r = replyText({ html: flat });
    expect(r.text).toBe('Nieuwe tekst.');
    expect(r.quoted).toBe(true);
  });

  it('still removes a real Gmail quote', () => {
    const html =
      '<div dir="ltr">Ja, prima.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Op wo 3 jan. 2024 om 10:12 schreef Piet &lt;piet@example.nl&gt;:<br></div><blockquote class="gmail_quote">Morgen om tien?</blockquote></div>';
    const r = replyText({ html });
    expect(r.text).toBe('Ja, prima.');
    expect(r.quoted).toBe(true);
  });
});

describe('Notes "NAME <addr> on DATE" sender lines and GroupWise ">>> NAME <addr> DATE >>>" attributions', () => {
  const notesFields = [
    '\n                                                              \n                                                              \n To:      "Weber, Jonas" <jonas.weber@firma.example>,    \n          "Lee, Sam" <sam.lee@partner.example>                \n                                                              \n cc:      "Brandt, Eva" <eva.brandt@firma.example>        \n                                                              \n                                                              \n Subject: Budget review for Q3                             \n                                                              \n',
    'To: Jonas Weber/BER/FIRMA@FIRMA\ncc: \nSubject: Re: Budget review\n',
    'Please respond to eva.brandt@firma.example\nTo: jonas.weber@firma.example\ncc:\nSubject: Budget review\n',
    '', // the sender line alone, the text right under it
  ];
  const senders: [string, string, string][] = [
    ['"Brandt, Eva" <eva.brandt@firma.example> on 03/14/2002 09:05:12 AM', 'Brandt, Eva', 'eva.brandt@firma.example'],
    ['Eva Brandt <eva.brandt@firma.example> on 14.03.2002 09:05', 'Eva Brandt', 'eva.brandt@firma.example'],
    ['eva.brandt@firma.example on 03/14/2002 09:05 AM', '', 'eva.brandt@firma.example'],
    ['Eva Brandt/BER/FIRMA@FIRMA on 03/14/2002 09:05 AM', 'Eva Brandt', ''],
  ];
  for (const [sender, name, address] of senders) {
    for (const fields of notesFields) {
      it(`Notes: "${sender}"${fields ? ` + ${JSON.stringify(fields.trim().slice(0, 24))}…` : ' alone'}`, () => {
        const body = `Fine by me, go ahead.\n\nJonas\n\n\n\n${sender}\n${fields}\nCan we cut the travel budget by ten percent?\n\nEva\n`;
        expect(text(body)).toBe('Fine by me, go ahead.\n\nJonas');
        const q = quotedOriginal({ text: body });
        expect(q?.text).toBe('Can we cut the travel budget by ten percent?\n\nEva');
        if (name) expect(q?.attribution?.name).toBe(name);
        if (address) expect(q?.attribution?.address).toBe(address);
        expect(q?.attribution?.dateMs).toBe(Date.UTC(2002, 2, 14, 9, 5, sender.includes(':12') ? 12 : 0));
      });
    }
  }

  const groupWise: [string, string | undefined, string | undefined][] = [
    ['>>> " ksw" <kswalker@sbcglobal.example> 10/03/01 02:56PM >>>', 'ksw', 'kswalker@sbcglobal.example'],
    ['>>> "Lee, Ann" <ann.lee@county.example> 05/12/02 09:15AM >>>', 'Lee, Ann', 'ann.lee@county.example'],
    ['>>> John Smith 5/12/2002 9:15:38 AM >>>', 'John Smith', undefined],
    ['>>> <ann.lee@county.example> 05/12/02 09:15 >>>', undefined, 'ann.lee@county.example'],
  ];
  for (const [line, name, address] of groupWise) {
    for (const marked of [false, true]) {
      it(`GroupWise: "${line}" above ${marked ? '`>`-marked' : 'unmarked'} text`, () => {
        const quoted = 'Is the permit ready for pickup?\n\nAnn';
        const q1 = marked ? quoted.replace(/^/gm, '> ') : quoted;
        const body = `Yes, it is at the front desk.\n\nBob\n\n${line}\n${q1}\n`;
        expect(text(body)).toBe('Yes, it is at the front desk.\n\nBob');
        const q = quotedOriginal({ text: body });
        expect(q?.text).toBe(quoted);
        expect(q?.attribution?.name).toBe(name);
        expect(q?.attribution?.address).toBe(address);
        expect(q?.attribution?.dateMs).not.toBeNull();
      });
    }
  }

  it('keeps prose that ends in an address and a date, and a single typed `>>>` line', () => {
    for (const body of [
      'I sent it to ann@county.example on 05/12/2002 09:15 AM\nand have not heard back since.',
      'Please see\n>>> the attached plan 05/12/2002 >>>\nfor the details of the move.',
    ]) {
      expect(text(body)).toBe(body);
    }
  });
});
