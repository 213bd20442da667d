// Kinds of quoted/forwarded header blocks that hid the first quoted message (made-up instances, not corpus text):
// blocks in any field order (Netscape/Thunderbird put Subject first), a Subject wrapped onto the next line, a stray
// line between "-----Original Message-----" and "From:", and forwards whose first block has no text of its own.
import { describe, expect, it } from 'vitest';
import { quotedMessage } from '../../src/mail/quoted-message.js';
import { replyText } from '../../src/mail/reply-text.js';
import { subjectContinuation } from '../../src/mail/subject-wrap.js';

const body = (...lines: string[]) => lines.join('\n');

describe('header blocks in any field order', () => {
  const header = {
    subject: 'Subject: Zaalhuur april',
    date: 'Date: Thu, 18 Apr 2019 16:45:12 +0200',
    from: 'From: Joris Claes <joris@zaal.example>',
    to: 'To: Ilse Maes <ilse@example.test>',
  };
  const orders: [string, (keyof typeof header)[]][] = [
    ['Netscape/Thunderbird (Subject, Date, From, To)', ['subject', 'date', 'from', 'to']],
    ['Outlook (From, Date, To, Subject)', ['from', 'date', 'to', 'subject']],
    ['Apple (From, Subject, Date, To)', ['from', 'subject', 'date', 'to']],
    ['Gmail forward (From, Date, Subject, To)', ['from', 'date', 'subject', 'to']],
    ['Subject, From, Date', ['subject', 'from', 'date']],
    ['Date, From, Subject, To', ['date', 'from', 'subject', 'to']],
  ];
  for (const separator of ['-------- Original Message --------', '---------- Forwarded message ---------']) {
    for (const [label, order] of orders) {
      it(`${label} under "${separator}"`, () => {
        const text = body(
          'Ilse, zie hieronder.',
          '',
          separator,
          ...order.map((k) => header[k]),
          '',
          'De zaal is vrij op de 20ste, vanaf 14 uur.',
        );
        const q = quotedMessage({ text });
        expect(q?.from).toEqual({ name: 'Joris Claes', address: 'joris@zaal.example' });
        expect(q?.subject).toBe('Zaalhuur april');
        expect(q?.introducedBy).toBe('header');
        expect(q?.text).toBe('De zaal is vrij op de 20ste, vanaf 14 uur.');
        expect(replyText({ text }).text).toBe('Ilse, zie hieronder.');
      });
    }
  }

  const thunderbird: [string, string, string[]][] = [
    [
      'fr',
      '-------- Message transféré --------',
      [
        'Sujet : Réunion',
        'Date : Tue, 5 Mar 2024 10:00:00 +0100',
        'De : Claire Petit <claire@poste.example>',
        'Pour : Marc Roy <marc@example.test>',
      ],
    ],
    [
      'es',
      '-------- Mensaje reenviado --------',
      [
        'Asunto: Reunión',
        'Fecha: Tue, 5 Mar 2024 10:00:00 +0100',
        'De: Claire Petit <claire@poste.example>',
        'Para: Marc Roy <marc@example.test>',
      ],
    ],
    [
      'it',
      '-------- Messaggio inoltrato --------',
      [
        'Oggetto: Riunione',
        'Data: Tue, 5 Mar 2024 10:00:00 +0100',
        'Mittente: Claire Petit <claire@poste.example>',
        'A: Marc Roy <marc@example.test>',
      ],
    ],
    [
      'pl',
      '-------- Przekazana wiadomość --------',
      [
        'Temat: Spotkanie',
        'Data: Tue, 5 Mar 2024 10:00:00 +0100',
        'Nadawca: Claire Petit <claire@poste.example>',
        'Adresat: Marc Roy <marc@example.test>',
      ],
    ],
    [
      'en (Apple)',
      'Begin forwarded message:',
      [
        'From: Claire Petit <claire@poste.example>',
        'Subject: Meeting',
        'Date: 5 March 2024 at 10:00:00 CET',
        'To: Marc Roy <marc@example.test>',
      ],
    ],
  ];
  for (const [language, separator, fields] of thunderbird) {
    it(`a forwarded block with ${language} labels, Subject first where the client puts it first`, () => {
      const text = body('Marc, regarde.', '', separator, ...fields, '', 'La salle est réservée.');
      const q = quotedMessage({ text });
      expect(q?.from).toEqual({ name: 'Claire Petit', address: 'claire@poste.example' });
      expect(q?.text).toBe('La salle est réservée.');
      expect(replyText({ text }).text).toBe('Marc, regarde.');
    });
  }

  it('a localised Subject-first block (German labels) is one too', () => {
    const text = body(
      'Siehe unten.',
      '',
      '-------- Original-Nachricht --------',
      'Betreff: Lieferung',
      'Datum: Mon, 02 Sep 2019 08:10:00 +0200',
      'Von: Lena Vogt <lena@lager.example>',
      'An: Karl Brandt <karl@example.test>',
      '',
      'Die Ware kommt am Mittwoch.',
    );
    const q = quotedMessage({ text });
    expect(q?.from?.address).toBe('lena@lager.example');
    expect(q?.text).toBe('Die Ware kommt am Mittwoch.');
  });

  it('under a separator, Subject and From alone make a block', () => {
    const text = body(
      'Vide infra.',
      '',
      '-------- Original Message --------',
      'Subject: Sala',
      'From: Dario Neri <dario@ufficio.example>',
      '',
      'La sala è libera.',
    );
    expect(quotedMessage({ text })?.from?.address).toBe('dario@ufficio.example');
    expect(quotedMessage({ text })?.text).toBe('La sala è libera.');
  });

  it('a reply that merely starts with "Subject:" and no From is not a header block', () => {
    const text = body('Subject: the budget', 'To: everyone on the list', '', 'We meet at noon.');
    expect(replyText({ text }).text).toContain('We meet at noon.');
    expect(quotedMessage({ text })).toBeNull();
  });
});

describe('a Subject wrapped onto the next line', () => {
  it('Outlook: the continuation is part of the subject, not of the quoted text', () => {
    const text = body(
      'Agreed, let us go with option B.',
      '',
      '-----Original Message-----',
      'From: Okafor, Chidi',
      'Sent: Friday, June 14, 2002 4:05 PM',
      'To: Lindqvist, Maja',
      'Subject: RE: revised transport tariffs for the northern corridor and',
      'storage',
      '',
      'Option B saves about 4 % over the year.',
    );
    const q = quotedMessage({ text });
    expect(q?.subject).toBe('RE: revised transport tariffs for the northern corridor and storage');
    expect(q?.text).toBe('Option B saves about 4 % over the year.');
    expect(replyText({ text }).text).toBe('Agreed, let us go with option B.');
  });

  it('Lotus Notes: an indented continuation, two lines of it', () => {
    const text = body(
      'I will call him.',
      '',
      '',
      'Chidi Okafor@EUR',
      '14/06/2002 16:05',
      'To: Maja Lindqvist/NYC/XYZ@XYZ',
      'cc: ',
      'Subject:  Re: quarterly review of the storage contracts for the northern',
      '      /02 meeting notes attached',
      '',
      'Can you ring the counterparty before Monday?',
    );
    const q = quotedMessage({ text });
    expect(q?.from?.name).toBe('Chidi Okafor');
    expect(q?.subject).toBe(
      'Re: quarterly review of the storage contracts for the northern /02 meeting notes attached',
    );
    expect(q?.text).toBe('Can you ring the counterparty before Monday?');
  });

  it('a field under Subject that is not a continuation ("Sensitivity:", "Categories:") stays out of the subject and the text', () => {
    for (const field of ['Sensitivity:\tPrivate', 'Importance: High', 'Categories: Blue Category']) {
      const text = body(
        'Noted.',
        '',
        '-----Original Message-----',
        'From: Okafor, Chidi',
        'Sent: Friday, June 14, 2002 4:05 PM',
        'To: Lindqvist, Maja',
        'Subject: Board minutes for the meeting of 12 June, draft for comments',
        field,
        '',
        'Please keep the draft to yourself until Monday.',
      );
      const q = quotedMessage({ text });
      expect(q?.subject, field).toBe('Board minutes for the meeting of 12 June, draft for comments');
      if (!field.startsWith('Categories'))
        expect(q?.text, field).toBe('Please keep the draft to yourself until Monday.');
    }
  });

  it('a short Subject followed directly by the text keeps the text', () => {
    const text = body(
      'Fine.',
      '',
      '-----Original Message-----',
      'From: Okafor, Chidi',
      'Sent: Friday, June 14, 2002 4:05 PM',
      'To: Lindqvist, Maja',
      'Subject: lunch',
      'Noon at the usual place',
      '',
      'Chidi',
    );
    expect(quotedMessage({ text })?.text).toContain('Noon at the usual place');
  });

  it('subjectContinuation refuses greetings, sentences, header lines and long runs', () => {
    const long = 'Subject: RE: a subject line long enough to have been wrapped by the client';
    expect(subjectContinuation([long, 'Hi Maja', ''], 1)).toEqual([]);
    expect(subjectContinuation([long, 'See the attached file.', ''], 1)).toEqual([]);
    expect(subjectContinuation([long, 'Cc: someone', ''], 1)).toEqual([]);
    expect(subjectContinuation([long, 'one', 'two', 'three', ''], 1)).toEqual([]);
    expect(subjectContinuation([long, 'and the rest', ''], 1)).toEqual(['and the rest']);
    expect(subjectContinuation(['Subject: short', 'more words', ''], 1)).toEqual([]);
    expect(subjectContinuation(['Subject: short', '   folded words', ''], 1)).toEqual(['folded words']);
  });
});

describe('a stray line between the separator and the header block', () => {
  for (const stray of ['[Lucía Gómez]', 'Lucía Gómez', '<<Attachment>>']) {
    it(`"${stray}"`, () => {
      const text = body(
        'Pablo,',
        '',
        'this came from Lucía; can you check the numbers?',
        '',
        ' -----Original Message-----',
        `${stray}  `,
        '',
        '',
        'From: \tGómez, Lucía  ',
        'Sent:\tMonday, March 11, 2002 9:20 AM',
        'To:\tRuiz, Pablo',
        'Subject:\tFW: cifras de marzo',
        '',
        'Las cifras de marzo están listas.',
      );
      const q = quotedMessage({ text });
      expect(q?.from?.name).toBe('Gómez, Lucía');
      expect(q?.subject).toBe('FW: cifras de marzo');
      expect(q?.text).toBe('Las cifras de marzo están listas.');
      expect(replyText({ text }).text).toBe('Pablo,\n\nthis came from Lucía; can you check the numbers?');
    });
  }

  it('a sentence there is not skipped', () => {
    const text = body('Ok.', '', '-----Original Message-----', 'Here is what I found.', 'From: Gómez, Lucía', '');
    expect(quotedMessage({ text })?.from).toBeNull();
  });
});

describe('forwards whose first block has no text of its own', () => {
  const block = (from: string, sent: string, to: string, subject: string) =>
    body(' -----Original Message-----', `From: \t${from}  `, `Sent:\t${sent}`, `To:\t${to}`, `Subject:\t${subject}`);

  it('a chain of empty forwards carries the deepest message with text', () => {
    const text = body(
      'Right, they cut 20 % this week.',
      '',
      block('Novak, Petra', 'Tuesday, February 05, 2002 10:00 AM', 'Berg, Ola', 'FW: pipeline cuts'),
      '',
      '',
      '',
      block('Haas, Timo', 'Tuesday, February 05, 2002 9:40 AM', 'Novak, Petra', 'FW: pipeline cuts'),
      '',
      '',
      '',
      block('Ilić, Marko', 'Tuesday, February 05, 2002 8:15 AM', 'Haas, Timo', 'pipeline cuts'),
      '',
      'The operator cut deliveries by a fifth from Monday.',
    );
    const q = quotedMessage({ text });
    expect(q?.from?.name).toBe('Novak, Petra');
    expect(q?.text).toBe('The operator cut deliveries by a fifth from Monday.');
  });

  it('a forward that left only a "Subject:" line of the carried header above `>` text', () => {
    const text = body(
      '',
      '-----Original Message-----',
      'From: Sato, Ken',
      'Sent: Wednesday, January 09, 2002 2:00 PM',
      'To: Mori, Aya',
      'Subject: FW:',
      '',
      '',
      'Subject:  Good news',
      '>The new office opens on the 1st.',
      '>',
      '>Parking is free for the first month.',
    );
    expect(quotedMessage({ text })?.text).toBe(
      'The new office opens on the 1st.\n\nParking is free for the first month.',
    );
  });

  it('a forward with a trivial note ("FYI") is the note and the carried message', () => {
    for (const note of ['FYI', 'Zur Info', 'see below, thanks']) {
      const text = body(
        'Thanks, I will ask him.',
        '',
        block('Weber, Jonas', 'Monday, April 08, 2002 3:00 PM', 'Kim, Sora', 'FW: room booking'),
        '',
        note,
        '',
        block('Front Desk', 'Monday, April 08, 2002 2:30 PM', 'Weber, Jonas', 'room booking'),
        '',
        'Room 4.12 is yours from 3 to 5.',
      );
      expect(quotedMessage({ text })?.text, note).toBe(`${note}\n\nRoom 4.12 is yours from 3 to 5.`);
    }
  });

  it('Gmail and Apple forwards inside a `>` quote: the carried text, under a note or none, through a chain', () => {
    const quoted = (...lines: string[]) =>
      body(
        'Sure, Monday works.',
        '',
        'On Tue, 5 Mar 2024 at 10:00, Ines Duarte <ines@bureau.example> wrote:',
        ...lines.map((l) => `> ${l}`.trimEnd()),
      );
    const gmail = [
      '---------- Forwarded message ---------',
      'From: Canteen <canteen@bureau.example>',
      'Date: Mon, 4 Mar 2024 at 16:00',
      'Subject: Menu',
      'To: Pia Lund <pia@bureau.example>',
      '',
      'Soup on Monday, fish on Friday.',
    ];
    const apple = [
      'Begin forwarded message:',
      '',
      'From: Pia Lund <pia@bureau.example>',
      'Subject: Fwd: Menu',
      'Date: 4 March 2024 at 17:00:00 CET',
      'To: Ines Duarte <ines@bureau.example>',
      '',
    ];
    expect(quotedMessage({ text: quoted(...gmail) })?.text).toBe('Soup on Monday, fish on Friday.');
    expect(quotedMessage({ text: quoted('FYI', '', ...gmail) })?.text).toBe('FYI\n\nSoup on Monday, fish on Friday.');
    const chain = quotedMessage({ text: quoted(...apple, ...gmail) });
    expect(chain?.from?.address).toBe('ines@bureau.example');
    expect(chain?.text).toBe('Soup on Monday, fish on Friday.');
  });

  it('a reply with a short answer above an older message is its own text only', () => {
    const text = body(
      'Great.',
      '',
      block('Weber, Jonas', 'Monday, April 08, 2002 3:00 PM', 'Kim, Sora', 'RE: room booking'),
      '',
      'Done!',
      '',
      block('Kim, Sora', 'Monday, April 08, 2002 2:30 PM', 'Weber, Jonas', 'room booking'),
      '',
      'Can you book a room for Thursday?',
    );
    expect(quotedMessage({ text })?.text).toBe('Done!');
  });
});
