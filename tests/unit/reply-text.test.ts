// What the author wrote (src/mail/reply-text): quotes, attributions, forwards and signatures across clients and
// languages, plus the sign-off that must stay, the text that must not be touched, and hostile input.
import { describe, expect, it } from 'vitest';
import { quotedOriginal, replyText } from '../../src/mail/reply-text.js';

const REPLY = 'Prima, tot morgen!';

describe('attribution lines and their quotes, by language and client', () => {
  // [client / language, attribution (possibly wrapped over several lines)]
  const attributions: [string, string][] = [
    ['Gmail en', 'On Tue, 3 Jan 2023 at 10:12, Ann <ann@example.com> wrote:'],
    ['Gmail en, wrapped', 'On Tue, Jan 3, 2023 at 10:12 AM Ann Smith <\nann@example.com> wrote:'],
    ['Apple Mail en', 'On 3 Jan 2023, at 10:12, Ann Smith <ann@example.com> wrote:'],
    ['Thunderbird en', 'On 03.01.2023 10:12, Ann Smith wrote:'],
    ['Gmail nl', 'Op di 3 jan 2023 om 10:12 schreef Piet de Vries <piet@example.nl>:'],
    ['Gmail nl, wrapped', 'Op di 3 jan 2023 om 10:12 schreef Piet de Vries <\npiet@example.nl>:'],
    ['Apple Mail nl', 'Op 3 jan. 2023, om 10:12 heeft Piet de Vries <piet@example.nl> het volgende geschreven:'],
    ['Gmail de', 'Am Di., 3. Jan. 2023 um 10:12 Uhr schrieb Max Mustermann <max@example.de>:'],
    [
      'Gmail de, wrapped over three lines',
      'Am Di., 3. Jan. 2023 um 10:12 Uhr schrieb Max\nMustermann <\nmax@example.de>:',
    ],
    ['Apple Mail de', 'Am 03.01.2023 um 10:12 schrieb Max Mustermann <max@example.de>:'],
    ['Gmail fr', 'Le mar. 3 janv. 2023 à 10:12, Claire Dubois <claire@example.fr> a écrit :'],
    ['Gmail fr, wrapped', 'Le mar. 3 janv. 2023 à 10:12, Claire Dubois <claire@example.fr>\na écrit :'],
    ['Gmail es', 'El mar, 3 ene 2023 a las 10:12, Juan Pérez (<juan@example.es>) escribió:'],
    ['Apple Mail es', 'El 3 ene 2023, a las 10:12, Juan Pérez <juan@example.es> escribió:'],
    ['Gmail it', 'Il giorno mar 3 gen 2023 alle ore 10:12 Marco Rossi <marco@example.it> ha scritto:'],
    ['Gmail pt', 'Em ter., 3 de jan. de 2023 às 10:12, João Silva <joao@example.pt> escreveu:'],
    ['Gmail sv', 'Den tis 3 jan. 2023 kl 10:12 skrev Anna Svensson <anna@example.se>:'],
    ['Gmail da/no', 'tir. 3. jan. 2023 kl. 10.12 skrev Lars Hansen <lars@example.dk>:'],
    ['Gmail pl', 'W dniu wt., 3.01.2023 o 10:12 Jan Kowalski <jan@example.pl> napisał(a):'],
    ['Gmail ru', 'вт, 3 янв. 2023 г. в 10:12, Иван Петров <ivan@example.ru>:'],
    ['Android', '---- Ann Smith wrote ----'],
  ];

  for (const [client, attribution] of attributions) {
    it(`${client}: removes the attribution and the quote`, () => {
      const body = `${REPLY}\n\n${attribution}\n\n> Zullen we morgen afspreken?\n> Groet, Piet\n`;
      const r = replyText({ text: body });
      expect(r).toEqual({ text: REPLY, quoted: true, forwarded: false, signature: null });
    });
  }

  it('removes everything after an attribution that is followed by unmarked text (Outlook-style top posting)', () => {
    const r = replyText({ text: `${REPLY}\n\nOp 3 jan. 2023 om 10:12 schreef Piet <piet@example.nl>:\n\nZullen we?` });
    expect(r.text).toBe(REPLY);
    expect(r.quoted).toBe(true);
  });

  it('keeps reply text written under a quote, and between quotes (inline replies)', () => {
    const body = [
      'On Tue, 3 Jan 2023 at 10:12, Ann <ann@example.com> wrote:',
      '> Lunch on Friday?',
      '',
      'Friday works.',
      '',
      '> And the budget?',
      '',
      'Approved.',
    ].join('\n');
    expect(replyText({ text: body }).text).toBe('Friday works.\n\nApproved.');
  });

  it('splits reply text that shares its line with the attribution', () => {
    expect(replyText({ text: 'reply--- On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi' }).text).toBe(
      'reply',
    );
  });
});

describe('header blocks and separators of a quoted message (Outlook and friends)', () => {
  const blocks: [string, string][] = [
    [
      'Outlook en',
      'From: Ann Smith <ann@example.com>\nSent: Tuesday, January 3, 2023 10:12 AM\nTo: Bob\nSubject: Plan',
    ],
    [
      'Outlook nl',
      'Van: Piet de Vries <piet@example.nl>\nVerzonden: dinsdag 3 januari 2023 10:12\nAan: Anna\nOnderwerp: Plan',
    ],
    [
      'Outlook de',
      'Von: Max Mustermann <max@example.de>\nGesendet: Dienstag, 3. Januar 2023 10:12\nAn: Erika\nBetreff: Plan',
    ],
    [
      'Outlook fr',
      'De : Claire Dubois <claire@example.fr>\nEnvoyé : mardi 3 janvier 2023 10:12\nÀ : Paul\nObjet : Plan',
    ],
    [
      'Outlook es',
      'De: Juan Pérez <juan@example.es>\nEnviado: martes, 3 de enero de 2023 10:12\nPara: Ana\nAsunto: Plan',
    ],
    [
      'Outlook bold (Gmail plain text)',
      '*From:* Ann [mailto:\nann@example.com]\n*Sent:* Tuesday, January 3, 2023\n*To:* Bob',
    ],
    ['Outlook 2000, tabs', 'From: \tAnn Smith\nSent:\tTuesday, January 03, 2023 10:12 AM\nTo:\tBob\nSubject:\tPlan'],
    ['Outlook separator', '-----Original Message-----\nFrom: Ann\nSent: Tuesday\nTo: Bob'],
    ['Outlook separator de', '-----Ursprüngliche Nachricht-----\nVon: Max'],
    ['Outlook separator nl', '-----Oorspronkelijk bericht-----\nVan: Piet'],
    ['Outlook separator fr', "-------- Message d'origine --------\nDe : Claire"],
    ['Outlook separator es', '-----Mensaje original-----\nDe: Juan'],
    ['Outlook underscores', '________________________________\nFrom: Ann <ann@example.com>\nSent: Tuesday\nTo: Bob'],
    ['Lotus Notes', 'Ann Smith@ACME\n01/03/2023 10:12 AM\nTo: Bob Jones/HOU/ACME@ACME\ncc:\nSubject: Plan'],
  ];
  for (const [client, header] of blocks) {
    it(`${client}: cuts at the header block`, () => {
      const r = replyText({ text: `${REPLY}\n\n${header}\n\nZullen we morgen afspreken?\n` });
      expect(r.text).toBe(REPLY);
      expect(r.quoted).toBe(true);
      expect(r.forwarded).toBe(false);
    });
  }

  it('treats a body that opens with a header block as quoted text with nothing written above it', () => {
    const r = replyText({
      text: '\nOd: Jan <jan@example.com>\nWysłano: środa, 1 marca 2023\nTemat: Test\n\nCześć Anno,\n',
    });
    expect(r).toEqual({ text: '', quoted: true, forwarded: false, signature: null });
    expect(
      quotedOriginal({ text: 'Od: Jan <jan@example.com>\nWysłano: środa, 1 marca 2023\n\nCześć Anno,' })?.text,
    ).toBe('Cześć Anno,');
  });
});

describe('forwarded messages', () => {
  const markers = [
    '---------- Forwarded message ---------',
    '-------- Forwarded Message --------',
    'Begin forwarded message:',
    '---------- Doorgestuurd bericht ----------',
    'Begin doorgestuurd bericht:',
    '---------- Weitergeleitete Nachricht ----------',
    'Anfang der weitergeleiteten Nachricht:',
    '---------- Message transféré ---------',
    'Début du message réexpédié :',
    '---------- Mensaje reenviado ---------',
    'Inicio del mensaje reenviado:',
  ];
  for (const marker of markers) {
    it(`removes the section after "${marker}" and flags it`, () => {
      const r = replyText({ text: `Zie hieronder.\n\n${marker}\nFrom: Ann <ann@example.com>\nSubject: X\n\nBody` });
      expect(r).toEqual({ text: 'Zie hieronder.', quoted: false, forwarded: true, signature: null });
    });
  }
});

describe('HTML quote containers', () => {
  const containers: [string, string][] = [
    [
      'Gmail div.gmail_quote',
      '<div dir="ltr">Prima, tot morgen!</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Op di 3 jan 2023 om 10:12 schreef Piet &lt;<a href="mailto:piet@example.nl">piet@example.nl</a>&gt;:<br></div><blockquote class="gmail_quote"><div>Zullen we?</div></blockquote></div>',
    ],
    [
      'Apple Mail / iOS blockquote type=cite',
      '<div>Prima, tot morgen!</div><div><br><blockquote type="cite"><div>Am 03.01.2023 um 10:12 schrieb Max &lt;max@example.de&gt;:</div><div>Morgen?</div></blockquote></div>',
    ],
    [
      'Thunderbird moz-cite-prefix',
      '<p>Prima, tot morgen!</p><div class="moz-cite-prefix">Le 03/01/2023 à 10:12, Claire a écrit&nbsp;:<br></div><blockquote type="cite"><p>Demain ?</p></blockquote>',
    ],
    [
      'Outlook on the web (#appendonsend, #divRplyFwdMsg)',
      '<div>Prima, tot morgen!</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>Van:</b> Piet<br><b>Verzonden:</b> dinsdag 3 januari 2023 10:12<br><b>Aan:</b> Anna</div><div>Zullen we?</div>',
    ],
    [
      'Outlook desktop (Word HTML, Spanish header)',
      '<div class=WordSection1><p class=MsoNormal>Prima, tot morgen!</p><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal><b>De:</b> Juan &lt;juan@example.es&gt;<br><b>Enviado el:</b> martes, 3 de enero de 2023 10:12<br><b>Para:</b> Ana<br><b>Asunto:</b> Plan</p></div><p class=MsoNormal>¿Mañana?</p></div>',
    ],
    [
      'Yahoo div.yahoo_quoted',
      '<div>Prima, tot morgen!</div><div id="ydp1yahoo_quoted_2" class="ydp1yahoo_quoted"><div>On Tuesday, January 3, 2023, 10:12 AM, Bob &lt;bob@yahoo.com&gt; wrote:</div><div>See you?</div></div>',
    ],
    [
      'Outlook for Mac #OLK_SRC_BODY_SECTION',
      '<div>Prima, tot morgen!</div><span id="OLK_SRC_BODY_SECTION"><div><b>From: </b>Bob<br><b>Date: </b>Tuesday<br></div><div>Hi</div></span>',
    ],
  ];
  for (const [client, html] of containers) {
    it(`${client}: keeps only the reply`, () => {
      const r = replyText({ html });
      expect(r.text).toBe(REPLY);
      expect(r.quoted).toBe(true);
    });
  }

  it("keeps a blockquote that is the author's own indentation (Gmail's quote button outside div.gmail_quote)", () => {
    const r = replyText({
      html: 'Message<blockquote class="gmail_quote" style="margin:0 0 0 40px">A quoted poem</blockquote>',
    });
    expect(r.text).toBe('Message\n\nA quoted poem');
    expect(r.quoted).toBe(false);
  });

  it('flags a Gmail forward inside div.gmail_quote as forwarded', () => {
    const r = replyText({
      html: '<div>FYI</div><div class="gmail_quote">---------- Forwarded message ---------<br>From: Bob<br><div>eom</div></div>',
    });
    expect(r).toEqual({ text: 'FYI', quoted: false, forwarded: true, signature: null });
  });

  it('prefers text/plain over HTML', () => {
    expect(replyText({ text: 'plain', html: '<p>html</p>' }).text).toBe('plain');
    expect(replyText({ text: '  \n', html: '<p>html</p>' }).text).toBe('html');
  });
});

describe('signatures', () => {
  it('removes the "-- " block and mobile footers, keeping the sign-off', () => {
    const r = replyText({ text: 'Sounds good.\n\nBest,\nAnna\n\n-- \nAnna Jansen\nAcme B.V.\n\nSent from my iPhone' });
    expect(r.text).toBe('Sounds good.\n\nBest,\nAnna');
    expect(r.signature).toBe('--\nAnna Jansen\nAcme B.V.\nSent from my iPhone');
  });

  const footers = [
    'Sent from my iPhone',
    'Verstuurd vanaf mijn iPhone',
    'Von meinem iPhone gesendet',
    'Envoyé de mon iPhone',
    'Enviado desde mi iPhone',
    'Sent from my Samsung Galaxy smartphone.',
    'Get Outlook for Android',
    'Gesendet von Outlook für Android<https://outlook.example.com/ghei36>',
    'Verzonden vanuit Outlook voor iOS',
  ];
  for (const footer of footers) {
    it(`removes the mobile footer "${footer}" (kept with keepSignature)`, () => {
      expect(replyText({ text: `Ok!\n\n${footer}\n` })).toEqual({
        text: 'Ok!',
        quoted: false,
        forwarded: false,
        signature: footer,
      });
      expect(replyText({ text: `Ok!\n\n${footer}\n` }, { keepSignature: true }).text).toBe(`Ok!\n\n${footer}`);
    });
  }

  it('treats text below a mobile footer as the quoted message', () => {
    const r = replyText({ text: 'Ok!\n\nVerstuurd vanaf mijn iPhone\n\nZullen we morgen afspreken?' });
    expect(r.text).toBe('Ok!');
    expect(r.quoted).toBe(true);
  });

  const signOffs: [string, string, string][] = [
    ['en', 'Best,\nAnna', 'Anna Jansen\nSenior Engineer | Acme Inc.\n+1 555 123 4567\nhttps://acme.example'],
    ['en, one line', 'Cheers, Anna', 'Acme Inc.\nwww.acme.example'],
    ['nl', 'Groetjes,\nAnna', 'Anna Jansen\nAcme B.V.\nT +31 20 123 4567'],
    ['nl, one line', 'Met vriendelijke groet, Kees', 'Kees Bakker | Acme B.V. | +31 20 123 4567'],
    ['de', 'Viele Grüße\nMax', 'Max Mustermann\nGeschäftsführer\nBeispiel GmbH\nTel. +49 30 1234567'],
    ['fr', 'Cordialement,\nClaire', 'Claire Dubois\nDirectrice commerciale\ntél. 01 23 45 67 89'],
    ['es', 'Un saludo,\nJuan', 'Juan Pérez\nDirector\nAcme S.L.\nTel: +34 600 000 000'],
  ];
  for (const [lang, signOff, block] of signOffs) {
    it(`${lang}: keeps the sign-off "${signOff.replace('\n', ' / ')}" and drops the contact block under it`, () => {
      const r = replyText({ text: `Klopt.\n\n${signOff}\n${block}` });
      expect(r.text).toBe(`Klopt.\n\n${signOff}`);
      expect(r.signature).toBe(block);
      expect(replyText({ text: `Klopt.\n\n${signOff}\n${block}` }, { keepSignature: true }).text).toBe(
        `Klopt.\n\n${signOff}\n${block}`,
      );
    });
  }

  it('removes a contact block that has no sign-off above it, name included', () => {
    const r = replyText({ text: 'See attached.\n\nGina Smith\ngina@example.com\n(555) 346-9947\nwww.example.com' });
    expect(r.text).toBe('See attached.');
    expect(r.signature).toBe('Gina Smith\ngina@example.com\n(555) 346-9947\nwww.example.com');
  });

  const disclaimers = [
    'This e-mail and any attachments are confidential and intended solely for the use of the addressee. If you are not the intended recipient, please delete it.',
    'Dit bericht is uitsluitend bestemd voor de geadresseerde. Indien u dit bericht onterecht ontvangt, verzoeken wij u het te verwijderen.',
    'Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat sind, informieren Sie bitte den Absender.',
    'Ce message et toutes les pièces jointes sont confidentiels et établis à l’intention exclusive de ses destinataires.',
    'Este mensaje y sus anexos son confidenciales. Si usted ha recibido este mensaje por error, bórrelo.',
  ];
  for (const disclaimer of disclaimers) {
    it(`removes the disclaimer "${disclaimer.slice(0, 40)}…"`, () => {
      const r = replyText({ text: `Akkoord.\n\nGroet,\nKees\n\n${disclaimer}` });
      expect(r.text).toBe('Akkoord.\n\nGroet,\nKees');
      expect(r.signature).toBe(disclaimer);
    });
  }

  it("removes the user's own learned signature wherever it ends the text", () => {
    const own = ['Anna Jansen\nHead of Sales\nAcme B.V.'];
    const body = 'Dank je!\n\nGroetjes,\nAnna\n\nANNA  JANSEN\nHead of Sales\nAcme B.V.';
    expect(replyText({ text: body }, { ownSignatures: own })).toEqual({
      text: 'Dank je!\n\nGroetjes,\nAnna',
      quoted: false,
      forwarded: false,
      signature: 'ANNA  JANSEN\nHead of Sales\nAcme B.V.',
    });
  });

  it('keeps a signature-only message as it is (a signature cannot start on the first line)', () => {
    expect(replyText({ text: '--\nRoman' }).text).toBe('--\nRoman');
  });

  it('keeps the last item of a dash list (not a "-Name" signature)', () => {
    const text = 'Two things:\n- the budget\n- and another';
    expect(replyText({ text }).text).toBe(text);
  });
});

describe('text that must come back unchanged', () => {
  const unchanged = [
    'The ratio was > 3 and the result > 2.\nSo 5 > 4 holds.',
    'As Ann wrote in her report, the plan works.\nShe wrote it yesterday.',
    'Here is what I wrote to the board last week about it.',
    'I need to parse emails that come from: john@example.com\n\nThe data comes From: our database.',
    'Visit us now for assistance...\n>>> >>>  http://www.example.com <<<\nVisit our site by clicking the link above',
    'Invitation for an interview:\n\nDate: Wednesday 3, October 2011\nTime: 7 : 00am\nAddress: 130 Fox St',
    'On the surface, this looks like a quote header.\n\nOn 3 occasions we met.',
    'Sent from my desk, is much easier than my mobile phone.',
    '## Key Points\n----\n\n1. Faster\n\n----\n\nThe dashes above are markdown formatting, not a signature.',
    'Thanks for the update!\nBest of luck with the exam tomorrow.',
  ];
  for (const text of unchanged) {
    it(`leaves "${text.slice(0, 40).replace(/\n/g, ' ')}…" alone`, () => {
      expect(replyText({ text })).toEqual({ text, quoted: false, forwarded: false, signature: null });
    });
  }
});

describe('whitespace', () => {
  it('normalises CRLF, trailing spaces and blank-line runs, and trims', () => {
    const r = replyText({ text: '\r\n  Hi Ann,  \r\n\r\n\r\n\r\nSee\u00a0you.\t\r\n\r\n' });
    expect(r.text).toBe('Hi Ann,\n\nSee you.');
  });

  it('returns empty text for an empty body', () => {
    expect(replyText({})).toEqual({ text: '', quoted: false, forwarded: false, signature: null });
    expect(replyText({ text: null, html: null }).text).toBe('');
  });
});

describe('quotedOriginal', () => {
  it('reads who and when from an attribution, and the quoted text without markers', () => {
    const q = quotedOriginal({
      text: 'Ja.\n\nOp di 3 jan 2023 om 10:12 schreef Piet de Vries <Piet@Example.nl>:\n\n> Zullen we?\n>\n>> eerder\n',
    });
    expect(q).toEqual({
      attribution: {
        name: 'Piet de Vries',
        address: 'piet@example.nl',
        date: 'di 3 jan 2023 om 10:12',
        dateMs: Date.UTC(2023, 0, 3, 10, 12),
      },
      text: 'Zullen we?\n\n> eerder',
    });
  });

  it('reads an Outlook header block (German) and the text under it', () => {
    const q = quotedOriginal({
      text: 'Ok.\n\nVon: Max Mustermann <max@example.de>\nGesendet: Dienstag, 3. Januar 2023 10:12\nAn: Erika\nBetreff: Termin\n\nPasst dir Mittwoch?',
    });
    expect(q?.attribution).toEqual({
      name: 'Max Mustermann',
      address: 'max@example.de',
      date: 'Dienstag, 3. Januar 2023 10:12',
      dateMs: Date.UTC(2023, 0, 3, 10, 12),
    });
    expect(q?.text).toBe('Passt dir Mittwoch?');
  });

  it('applies the zone written in the attribution', () => {
    const q = quotedOriginal({ text: 'x\n\n2014-10-17 11:28 GMT+03:00 Postmaster <pm@example.org>:\n\n> First' });
    expect(q?.attribution?.dateMs).toBe(Date.UTC(2014, 9, 17, 8, 28));
    expect(q?.attribution?.address).toBe('pm@example.org');
  });

  it('finds the attribution Apple Mail puts inside the quote', () => {
    const q = quotedOriginal({
      text: 'Hello\n> On 22 Aug 2015, at 19:21, Adam <adam@example.com> wrote:\n>\n> Hi there!',
    });
    expect(q?.attribution?.address).toBe('adam@example.com');
    expect(q?.text).toBe('Hi there!');
  });

  it('works on HTML (Apple Mail, French)', () => {
    const q = quotedOriginal({
      html: '<div>Parfait</div><blockquote type="cite"><div>Le 3 janv. 2023 à 10:12, Paul Martin &lt;paul@example.fr&gt; a écrit :</div><div>Dispo ?</div></blockquote>',
    });
    expect(q).toEqual({
      attribution: {
        name: 'Paul Martin',
        address: 'paul@example.fr',
        date: '3 janv. 2023 à 10:12',
        dateMs: Date.UTC(2023, 0, 3, 10, 12),
      },
      text: 'Dispo ?',
    });
  });

  it('is null when the body quotes nothing', () => {
    expect(quotedOriginal({ text: 'Just a note.\n\nBest,\nAnna' })).toBeNull();
  });
});

describe('hostile input', () => {
  const cases: [string, string][] = [
    ['one 300 KB line', 'a'.repeat(300_000)],
    ['a long run of spaces inside a line', `a${' '.repeat(300_000)}b\nc`],
    ['100k quoted lines', `hi\n${'> q\n'.repeat(100_000)}`],
    ['20k attribution-like lines', 'On 3 Jan 2023 10:12 we met\n'.repeat(20_000)],
    ['50k "From:" lines', `hi\n${'From: x\n'.repeat(50_000)}`],
    ['20k disclaimer lines', `hi\n\n${'If you are not the intended recipient, delete this.\n'.repeat(20_000)}`],
    ['long dashed lines', `hi\n${`${'-'.repeat(390)}x\n`.repeat(1000)}`],
  ];
  for (const [name, text] of cases) {
    it(`returns promptly on ${name}`, () => {
      const t0 = performance.now();
      const r = replyText({ text });
      quotedOriginal({ text });
      const ms = performance.now() - t0;
      console.log(`${name}: ${ms.toFixed(0)} ms`);
      expect(typeof r.text).toBe('string');
    });
  }

  it('reads at most the first 200 KB of text', () => {
    const r = replyText({ text: `${'x'.repeat(99)}\n`.repeat(5000) });
    expect(r.text.length).toBeLessThanOrEqual(200 * 1024);
    expect(r.text.length).toBeGreaterThan(190 * 1024);
  });
});
