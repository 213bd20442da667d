// Message classification (src/mail/classify): which messages never become training data or get a draft.
import { describe, expect, it } from 'vitest';
import { type ClassifyInput, classifyMessage, describeSkipReason, type SkipReason } from '../../src/mail/classify.js';
import { parseAddresses, parseHeaderBlock } from '../../src/mail/headers.js';

/** Headers of an ordinary Outlook reply between two people, the base every case adds to. */
const PERSONAL_HEADERS = [
  'From: Anna de Vries <anna@example.nl>',
  'To: Bob Smith <bob@example.com>',
  'Subject: Re: Budget 2024',
  'Date: Tue, 3 Jan 2023 10:12:00 +0100',
  'Message-ID: <a1@example.nl>',
  'In-Reply-To: <b1@example.com>',
  'References: <b0@example.com> <b1@example.com>',
  'Thread-Index: AQHZH6xyz',
  // Outlook puts this on ordinary mail: it asks *others* not to auto-reply and says nothing about this message.
  'X-Auto-Response-Suppress: All',
  'X-MS-Has-Attach: ',
  'Content-Type: text/plain; charset="utf-8"',
  'MIME-Version: 1.0',
];

/** A message built from header lines (parsed the way the pipeline parses them) and overrides. */
function message(headerLines: string[] = [], overrides: Partial<ClassifyInput> = {}): ClassifyInput {
  const headers = parseHeaderBlock(`${[...PERSONAL_HEADERS, ...headerLines].join('\r\n')}\r\n\r\n`);
  return {
    headers,
    from: parseAddresses(headers.from),
    subject: 'Re: Budget 2024',
    mimeType: 'text/plain',
    attachments: [],
    ownText: 'Hi Bob,\n\nLooks good to me, I will send the final numbers on Friday.\n\nAnna',
    forwarded: false,
    ...overrides,
  };
}

/** Same, but with the given header lines replacing PERSONAL_HEADERS' headers of the same name. */
function withHeaders(lines: string[], overrides: Partial<ClassifyInput> = {}): ClassifyInput {
  const input = message(lines, overrides);
  const replaced = parseHeaderBlock(`${lines.join('\r\n')}\r\n\r\n`);
  const headers = { ...input.headers, ...replaced };
  return { ...input, headers, from: overrides.from ?? parseAddresses(headers.from) };
}

const from = (address: string, name?: string) => [{ address, ...(name ? { name } : {}) }];

describe('ordinary personal mail', () => {
  it('yields no reason for a normal reply from a person, in each language', () => {
    const replies = [
      'Hi Bob,\n\nLooks good to me, I will send the final numbers on Friday.\n\nAnna',
      'Hoi Bob,\n\nZiet er goed uit, ik stuur vrijdag de definitieve cijfers.\n\nGroet,\nAnna',
      'Hallo Bob,\n\nsieht gut aus, ich schicke dir am Freitag die endgültigen Zahlen.\n\nViele Grüße\nAnna',
      "Bonjour Bob,\n\nÇa me va, je t'envoie les chiffres définitifs vendredi.\n\nAnna",
      'Hola Bob:\n\nMe parece bien, te mando las cifras definitivas el viernes.\n\nUn saludo,\nAnna',
    ];
    for (const ownText of replies) expect(classifyMessage(message([], { ownText }))).toEqual([]);
  });

  it('does not take a person mentioning their absence for an out-of-office notice', () => {
    const texts = [
      "I'll be out of office next week, can we meet Monday?",
      'Hi Bob,\n\nI will be out of the office next week. Can we meet Monday?\n\nAnna',
      // The notice wording, but not at the start of the text:
      'Thanks for the slides. I am out of the office until Monday and will review them then.',
      'Sounds good. By the way, I am out of the office until June 5.',
      'Ik ben volgende week afwezig, kunnen we maandag afspreken?',
      'Prima! Ik ben overigens vanaf maandag afwezig, dus graag voor die tijd.',
      'Ich bin nächste Woche nicht im Büro, können wir Montag telefonieren?',
      'Je suis absent la semaine prochaine, on peut se voir lundi ?',
      '¿Estoy fuera de la oficina la semana que viene, nos vemos el lunes?',
      'Quick question: am I out of office on the 5th? Check the rota.',
    ];
    for (const ownText of texts) expect(classifyMessage(message([], { ownText })), ownText).toEqual([]);
  });

  it('does not count a long text that opens with an absence as a notice', () => {
    const ownText = `I am out of the office until Monday, but here is the full analysis you asked for. ${'The numbers hold up. '.repeat(60)}`;
    expect(classifyMessage(message([], { ownText }))).toEqual([]);
  });

  it('ignores X-Auto-Response-Suppress, which Outlook sets on ordinary mail', () => {
    for (const value of ['All', 'OOF, AutoReply', 'DR, RN, NRN, OOF, AutoReply']) {
      expect(classifyMessage(withHeaders([`X-Auto-Response-Suppress: ${value}`]))).toEqual([]);
    }
  });

  it('does not flag subjects that merely look like the prefixes', () => {
    const subjects = [
      'Out of office next week',
      'Re: Automatic reply settings for the shared mailbox',
      'Afwezigheid in de zomer',
      'Auto: APK-afspraak dinsdag',
      'Invitation to speak at our conference',
      'Re: Invitation: Team dinner @ Fri 5pm',
      'Accepted the offer!',
      'Undeliverable parcel at the depot',
      'Fwd thinking about Q3',
      'Trip report',
    ];
    for (const subject of subjects) expect(classifyMessage(message([], { subject })), subject).toEqual([]);
  });
});

describe('auto_reply', () => {
  it('follows Auto-Submitted (RFC 3834): anything but "no"', () => {
    for (const value of [
      'auto-replied',
      'auto-generated',
      'auto-notified',
      'Auto-Replied',
      '  AUTO-REPLIED  ',
      'auto-replied; owner-email="anna@example.nl"',
      'auto-generated (rejected)',
    ]) {
      expect(classifyMessage(withHeaders([`Auto-Submitted: ${value}`])), value).toEqual(['auto_reply']);
    }
    for (const value of ['no', 'No', ' no ', 'no (a person wrote this)']) {
      expect(classifyMessage(withHeaders([`Auto-Submitted: ${value}`])), value).toEqual([]);
    }
    expect(classifyMessage(withHeaders(['Auto-Submitted: ']))).toEqual([]);
  });

  it('reads the de-facto auto-responder headers', () => {
    expect(classifyMessage(withHeaders(['X-Autoreply: yes']))).toEqual(['auto_reply']);
    expect(classifyMessage(withHeaders(['X-AutoReply: YES']))).toEqual(['auto_reply']);
    expect(classifyMessage(withHeaders(['X-Autorespond: vacation']))).toEqual(['auto_reply']);
    expect(classifyMessage(withHeaders(['X-Autogenerated: Reply']))).toEqual(['auto_reply']);
    expect(classifyMessage(withHeaders(['Precedence: auto_reply']))).toEqual(['auto_reply']);
    // Not signs: an explicit "no", and X-Autogenerated values other than Reply.
    expect(classifyMessage(withHeaders(['X-Autoreply: no']))).toEqual([]);
    expect(classifyMessage(withHeaders(['X-Autogenerated: Forward']))).toEqual([]);
  });

  it('recognises out-of-office subjects in en, nl, de, fr, es', () => {
    const subjects = [
      'Automatic reply: Budget 2024',
      'Out of Office: Re: Budget 2024',
      'Out of Office AutoReply: Budget 2024',
      'Auto-Reply: Budget 2024',
      'Autoreply: Budget 2024',
      '[Auto-Reply] Budget 2024',
      'Auto Response: Budget 2024',
      'Automatisch antwoord: Budget 2024',
      'Afwezig: Budget 2024',
      'Afwezigheidsmelding: Budget 2024',
      'Automatische Antwort: Budget 2024',
      'Abwesenheitsnotiz: Budget 2024',
      'Réponse automatique : Budget 2024',
      'Réponse automatique\u00a0: Budget 2024',
      'Reponse automatique: Budget 2024',
      'Absence du bureau : Budget 2024',
      'Respuesta automática: Budget 2024',
      'Fuera de la oficina: Budget 2024',
      'OUT OF OFFICE',
    ];
    for (const subject of subjects) {
      expect(classifyMessage(message([], { subject })), subject).toEqual(['auto_reply']);
    }
  });

  it('recognises out-of-office openings of short texts in en, nl, de, fr, es', () => {
    const notices = [
      'I am out of the office until 5 June with limited access to email. For urgent matters please contact Piet.',
      "Hello,\n\nThank you for your email. I'm currently on annual leave and will respond when I return on 12 August.",
      'Dear sender,\nI will be out of the office from 1 to 5 June. Your message will not be forwarded.',
      'This is an automatic reply. I am away from the office until Monday.',
      'Ik ben afwezig tot en met 14 juli. Uw e-mail wordt niet doorgestuurd.',
      'Beste afzender,\n\nBedankt voor uw bericht. Ik ben van 1 t/m 5 juni met vakantie en lees mijn mail daarna.',
      'Ich bin bis zum 5. Juni nicht im Büro. In dringenden Fällen wenden Sie sich bitte an Frau Meier.',
      'Sehr geehrte Damen und Herren,\nvielen Dank für Ihre Nachricht. Ich befinde mich bis 12.08. im Urlaub.',
      "Je suis absent jusqu'au 3 janvier. Pour toute urgence, contactez Marie.",
      'Bonjour,\nMerci pour votre message. Je suis actuellement en congés et reviendrai le 20 août.',
      'Estoy fuera de la oficina hasta el 5 de junio, con acceso limitado al correo.',
      'Hola,\ngracias por su correo. Me encuentro de vacaciones hasta el lunes 3.',
    ];
    for (const ownText of notices) {
      expect(classifyMessage(message([], { ownText })), ownText).toEqual(['auto_reply']);
    }
  });

  it('does not look at the body when the own text is unknown', () => {
    expect(classifyMessage(message([], { ownText: null }))).toEqual([]);
  });

  it('counts read receipts (RFC 8098) and other non-DSN reports as machine-generated, not as bounces', () => {
    const receipt = withHeaders(
      ['Content-Type: multipart/report; report-type=disposition-notification; boundary="b"', 'Subject: Read: Budget'],
      { mimeType: 'multipart/report', subject: 'Read: Budget', ownText: null },
    );
    expect(classifyMessage(receipt)).toEqual(['auto_reply']);
    const arf = withHeaders(['Content-Type: multipart/report; report-type="feedback-report"; boundary="b"'], {
      mimeType: 'multipart/report',
    });
    expect(classifyMessage(arf)).toEqual(['auto_reply']);
  });
});

describe('bulk', () => {
  it('reads Precedence: bulk and junk', () => {
    expect(classifyMessage(withHeaders(['Precedence: bulk']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['Precedence: JUNK']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['Precedence:   bulk  ']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['Precedence: first-class']))).toEqual([]);
  });

  it('takes List-Unsubscribe without List-Id for a newsletter', () => {
    const newsletter = withHeaders([
      'List-Unsubscribe: <mailto:unsub@news.example.com>, <https://news.example.com/u/123>',
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ]);
    expect(classifyMessage(newsletter)).toEqual(['bulk']);
    // With a List-Id it is a discussion list instead.
    const list = withHeaders([
      'List-Unsubscribe: <mailto:leave@lists.example.org>',
      'List-Id: <dev.lists.example.org>',
    ]);
    expect(classifyMessage(list)).toEqual(['mailing_list']);
  });

  it('knows the campaign headers of email service providers', () => {
    expect(classifyMessage(withHeaders(['X-Campaign: mailchimp1234.abcd']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['X-campaignid: mailchimp1234']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['X-Mailchimp-Campaign: 42']))).toEqual(['bulk']);
    expect(classifyMessage(withHeaders(['X-MC-User: 0123abcd']))).toEqual(['bulk']);
  });

  it('counts ESP relay headers only on messages that answer none', () => {
    const fresh = (line: string) => {
      const input = withHeaders([line]);
      delete input.headers['in-reply-to'];
      delete input.headers.references;
      return input;
    };
    expect(classifyMessage(fresh('Feedback-ID: 1.eu-west-1.abc=:AmazonSES'))).toEqual(['bulk']);
    expect(classifyMessage(fresh('X-SG-EID: abc123'))).toEqual(['bulk']);
    expect(classifyMessage(fresh('X-Mailgun-Sid: WyI0Y2'))).toEqual(['bulk']);
    // A person whose mail goes out through SES or SendGrid, answering in a thread:
    expect(classifyMessage(withHeaders(['Feedback-ID: 1.eu-west-1.abc=:AmazonSES']))).toEqual([]);
    expect(classifyMessage(withHeaders(['X-SG-EID: abc123']))).toEqual([]);
  });
});

describe('mailing_list', () => {
  it('reads List-Id and List-Post (RFC 2919, 2369) and Precedence: list', () => {
    expect(classifyMessage(withHeaders(['List-Id: Dev talk <dev.lists.example.org>']))).toEqual(['mailing_list']);
    expect(classifyMessage(withHeaders(['list-id:   <dev.lists.example.org>  ']))).toEqual(['mailing_list']);
    expect(classifyMessage(withHeaders(['List-Post: <mailto:dev@lists.example.org>']))).toEqual(['mailing_list']);
    expect(classifyMessage(withHeaders(['List-Post: NO']))).toEqual(['mailing_list']);
    expect(classifyMessage(withHeaders(['Precedence: list']))).toEqual(['mailing_list']);
  });

  it('ignores empty list headers', () => {
    expect(classifyMessage(withHeaders(['List-Id: ']))).toEqual([]);
    expect(classifyMessage(withHeaders(['List-Post:']))).toEqual([]);
  });
});

describe('no_reply_sender', () => {
  it('recognises the no-reply local parts, whatever their spelling', () => {
    const addresses = [
      'no-reply@example.com',
      'noreply@example.com',
      'NoReply@Example.com',
      'no_reply@example.com',
      'no.reply@example.com',
      'noreply+abc123@example.com',
      'noreply-dmarc-support@google.com',
      'invitations-noreply@example.com',
      'do-not-reply@example.com',
      'donotreply@example.com',
      'do_not_reply@example.com',
      'dont-reply@example.com',
      'notifications@github.com',
      'notification@example.com',
      'calendar-notification@google.com',
      'mailer-daemon@example.com',
      'MAILER-DAEMON',
      'postmaster@example.com',
      'bounce@example.com',
      'bounces+123-abc=example.com@sendgrid.net',
      'bounce-mc.us5_123.456-anna=example.nl@mail7.mcsv.net',
    ];
    for (const address of addresses) {
      expect(classifyMessage(message([], { from: from(address.toLowerCase()) })), address).toEqual(['no_reply_sender']);
    }
  });

  it('leaves people and ordinary role addresses alone', () => {
    const addresses = [
      'bruno.reply@example.com',
      'reply@example.com',
      'replies@example.com',
      'noel@example.com',
      'nora@example.com',
      'info@example.com',
      'support@example.com',
      'post@example.nl',
      'bouncer@club.example',
      'anna.bouncey@example.com',
      'notifier-team-lead@example.com',
      'no-reply-expected-from-me@example.com'.replace('no-reply', 'no'),
    ];
    for (const address of addresses) {
      expect(classifyMessage(message([], { from: from(address) })), address).toEqual([]);
    }
    expect(classifyMessage(message([], { from: [{ name: 'No Reply' }] }))).toEqual([]);
  });
});

describe('bounce', () => {
  const dsnHeaders = [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
    'Subject: Undelivered Mail Returned to Sender',
    'Auto-Submitted: auto-replied',
    'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="B0B0"',
  ];

  it('recognises an RFC 6522 delivery-status report', () => {
    const dsn = withHeaders(dsnHeaders, {
      subject: 'Undelivered Mail Returned to Sender',
      mimeType: 'multipart/report',
    });
    expect(classifyMessage(dsn)).toEqual(['bounce', 'auto_reply', 'no_reply_sender']);
  });

  it('reads the report type from the Content-Type header in any casing, quoted or not', () => {
    for (const ct of [
      'multipart/report; report-type=delivery-status; boundary="b"',
      'Multipart/Report; boundary="b"; Report-Type="Delivery-Status"',
      'multipart/report; report-type=global-delivery-status; boundary=b',
      'multipart/report; boundary="b"',
    ]) {
      const input = withHeaders([`Content-Type: ${ct}`], { mimeType: null });
      expect(classifyMessage(input), ct).toEqual(['bounce']);
    }
    // The mime type alone, without the header, is taken for a DSN.
    const bare = message([], { mimeType: 'multipart/report' });
    delete bare.headers['content-type'];
    expect(classifyMessage(bare)).toEqual(['bounce']);
  });

  it('recognises failure subjects from the MTA, in several languages', () => {
    const subjects = [
      'Undelivered Mail Returned to Sender',
      'Delivery Status Notification (Failure)',
      'Mail delivery failed: returning message to sender',
      'Returned mail: see transcript for details',
      'failure notice',
      'Undeliverable: Budget 2024',
      'Unzustellbar: Budget 2024',
      'Onbestelbaar: Budget 2024',
      'Non remis : Budget 2024',
      'No se puede entregar: Budget 2024',
    ];
    for (const subject of subjects) {
      const fromDaemon = message([], {
        subject,
        from: from('mailer-daemon@googlemail.com', 'Mail Delivery Subsystem'),
      });
      expect(classifyMessage(fromDaemon), subject).toEqual(['bounce', 'no_reply_sender']);
      const fromPostmaster = message([], { subject, from: from('postmaster@example.com') });
      expect(classifyMessage(fromPostmaster), subject).toEqual(['bounce', 'no_reply_sender']);
      // Exchange sends its NDRs from postmaster@ or from the server with the null reverse-path.
      const nullPath = withHeaders(['Return-Path: <>'], { subject, from: from('exchange@example.com') });
      expect(classifyMessage(nullPath), subject).toEqual(['bounce']);
    }
  });

  it('reads X-Failed-Recipients (Exim)', () => {
    expect(classifyMessage(withHeaders(['X-Failed-Recipients: gone@example.com']))).toEqual(['bounce']);
  });

  it('needs more than a failure subject', () => {
    // A person forwarding a bounce, or talking about one:
    expect(classifyMessage(message([], { subject: 'Undeliverable: Budget 2024' }))).toEqual([]);
    expect(
      classifyMessage(withHeaders(['Return-Path: <anna@example.nl>'], { subject: 'Mail delivery failed' })),
    ).toEqual([]);
    // MAILER-DAEMON writing about something else is still a no-reply sender, not a bounce.
    expect(classifyMessage(message([], { subject: 'Spam report', from: from('mailer-daemon@example.com') }))).toEqual([
      'no_reply_sender',
    ]);
    // An empty Return-Path without a failure subject is not enough either.
    expect(classifyMessage(withHeaders(['Return-Path: <>']))).toEqual([]);
  });
});

describe('calendar', () => {
  it('recognises iCalendar content (RFC 5545/6047)', () => {
    expect(classifyMessage(message([], { mimeType: 'text/calendar' }))).toEqual(['calendar']);
    expect(classifyMessage(message([], { mimeType: 'Text/Calendar; method=REQUEST' }))).toEqual(['calendar']);
    expect(classifyMessage(message([], { attachments: [{ type: 'text/calendar; method=REPLY' }] }))).toEqual([
      'calendar',
    ]);
    expect(
      classifyMessage(message([], { attachments: [{ type: 'application/ics', filename: 'invite.ics' }] })),
    ).toEqual(['calendar']);
    expect(classifyMessage(withHeaders(['Content-Class: urn:content-classes:calendarmessage']))).toEqual(['calendar']);
    // Other attachments are not calendar traffic.
    expect(classifyMessage(message([], { attachments: [{ type: 'application/pdf' }, { type: 'image/png' }] }))).toEqual(
      [],
    );
    expect(classifyMessage(withHeaders(['Content-Class: urn:content-classes:message']))).toEqual([]);
  });

  it('recognises invitation and response subjects in en, nl, de, fr, es, as a prefix only', () => {
    const subjects = [
      'Invitation: Weekly sync @ Wed 5 Jun 2024 10am - 11am (CEST) (bob@example.com)',
      'Updated invitation: Weekly sync @ Wed 5 Jun 2024',
      'Updated invitation with note: Weekly sync',
      'Accepted: Weekly sync',
      'Declined: Weekly sync',
      'Tentative: Weekly sync',
      'Tentatively Accepted: Weekly sync',
      'Canceled: Weekly sync',
      'Canceled event: Weekly sync',
      'Uitnodiging: Wekelijks overleg',
      'Bijgewerkte uitnodiging: Wekelijks overleg',
      'Geaccepteerd: Wekelijks overleg',
      'Geweigerd: Wekelijks overleg',
      'Einladung: Wöchentliches Treffen',
      'Aktualisierte Einladung: Wöchentliches Treffen',
      'Angenommen: Wöchentliches Treffen',
      'Abgelehnt: Wöchentliches Treffen',
      'Invitation : Réunion hebdomadaire',
      'Invitation mise à jour : Réunion hebdomadaire',
      'Accepté : Réunion hebdomadaire',
      'Accepte\u0301 : Réunion hebdomadaire',
      'Refusé : Réunion hebdomadaire',
      'Invitación: Reunión semanal',
      'Invitación actualizada: Reunión semanal',
      'Aceptado: Reunión semanal',
      'Rechazado: Reunión semanal',
    ];
    for (const subject of subjects) {
      expect(classifyMessage(message([], { subject })), subject).toEqual(['calendar']);
    }
    for (const subject of ['Re: Accepted: Weekly sync', 'AW: Einladung: Treffen', 'About the invitation: yes']) {
      expect(classifyMessage(message([], { subject })), subject).toEqual([]);
    }
  });
});

describe('bare_forward', () => {
  it('recognises forward prefixes in several languages, also after a reply prefix', () => {
    const subjects = [
      'Fwd: Budget 2024',
      'FW: Budget 2024',
      'Fw: Budget 2024',
      'fwd:Budget 2024',
      'WG: Budget 2024',
      'Doorst: Budget 2024',
      'TR: Budget 2024',
      'RV: Budget 2024',
      'Enc: Budget 2024',
      'Re: Fwd: Budget 2024',
      'AW: WG: Budget 2024',
      'Fw[2]: Budget 2024',
      '[Fwd: Budget 2024]',
    ];
    for (const subject of subjects) {
      expect(classifyMessage(message([], { subject, ownText: '' })), subject).toEqual(['bare_forward']);
    }
  });

  it('counts a forward with only a trivial note as bare, per language', () => {
    const notes = [
      'FYI',
      'fyi, see below',
      'Hi Anna, FYI. Bob',
      'See below.',
      'Please see attached.',
      'Ter info.',
      'Zie onder. Groet, Piet',
      'Hoi Jan Willem, ter info. Groeten, Piet',
      'Zur Info',
      'Siehe unten. LG Anna',
      'Pour info.',
      'Voir ci-dessous, merci !',
      'Para tu información.',
      'Hola Ana, para su información. Saludos',
      'Thank you!',
      '👍',
    ];
    for (const ownText of notes) {
      expect(classifyMessage(message([], { subject: 'Fwd: Budget 2024', ownText })), ownText).toEqual(['bare_forward']);
    }
    // The forwarded-section flag counts like a forward prefix.
    expect(classifyMessage(message([], { forwarded: true, ownText: 'Zie hieronder.' }))).toEqual(['bare_forward']);
  });

  it('does not count a forward with text of its own', () => {
    const texts = [
      'Can you handle this by Friday?',
      'FYI, we need to decide by Friday whether we sign this.',
      'Kun jij hier voor vrijdag naar kijken?',
      'Kannst du dir das bis Freitag anschauen?',
      'Tu peux regarder ça avant vendredi ?',
      '¿Puedes revisarlo antes del viernes?',
    ];
    for (const ownText of texts) {
      expect(classifyMessage(message([], { subject: 'Fwd: Budget 2024', ownText })), ownText).toEqual([]);
    }
    expect(
      classifyMessage(message([], { forwarded: true, ownText: 'Here is what Mark sent, I agree with him.' })),
    ).toEqual([]);
  });

  it('claims nothing when the own text is unknown, and needs a forward', () => {
    expect(classifyMessage(message([], { subject: 'Fwd: Budget 2024', ownText: null }))).toEqual([]);
    expect(classifyMessage(message([], { subject: 'Re: Budget 2024', ownText: '' }))).toEqual([]);
    expect(classifyMessage(message([], { subject: 'Re: Budget 2024', ownText: 'FYI' }))).toEqual([]);
  });
});

describe('several reasons', () => {
  it('reports every reason, most specific first', () => {
    const newsletter = withHeaders(
      [
        'From: Example News <noreply@news.example.com>',
        'List-Id: <123.list-id.mcsv.net>',
        'List-Unsubscribe: <https://lists.example.com/unsubscribe>',
        'X-Campaign: mailchimp123.456',
        'Precedence: bulk',
      ],
      { subject: 'Our spring newsletter' },
    );
    expect(classifyMessage(newsletter)).toEqual(['mailing_list', 'bulk', 'no_reply_sender']);

    const googleInvite = withHeaders(['From: Google Calendar <calendar-notification@google.com>'], {
      subject: 'Invitation: Weekly sync @ Wed 5 Jun 2024',
      mimeType: 'multipart/mixed',
      attachments: [{ type: 'application/ics', filename: 'invite.ics' }],
      ownText: '',
    });
    expect(classifyMessage(googleInvite)).toEqual(['calendar', 'no_reply_sender']);

    const outOfOfficeOnList = withHeaders(['Auto-Submitted: auto-replied', 'List-Id: <dev.lists.example.org>'], {
      subject: 'Automatic reply: [dev] Release',
    });
    expect(classifyMessage(outOfOfficeOnList)).toEqual(['auto_reply', 'mailing_list']);
  });
});

describe('robustness', () => {
  it('copes with missing and empty input', () => {
    const empty: ClassifyInput = {
      headers: {},
      from: [],
      subject: null,
      mimeType: null,
      attachments: [],
      ownText: null,
    };
    expect(classifyMessage(empty)).toEqual([]);
    expect(classifyMessage({ ...empty, ownText: '', subject: '' })).toEqual([]);
  });

  it('never throws on values of the wrong shape', () => {
    const hostile = {
      headers: { 'auto-submitted': 'auto-replied', 'list-id': [null, 42], precedence: {} },
      from: [null, { address: 42 }, 'noreply@example.com', { name: ['x'] }],
      subject: 17,
      mimeType: ['text/calendar'],
      attachments: [null, { type: null }, 'text/calendar'],
      ownText: { text: 'FYI' },
      forwarded: 'yes',
    } as unknown as ClassifyInput;
    expect(() => classifyMessage(hostile)).not.toThrow();
    // A lone string value still counts (the pipeline gives arrays, but callers may not).
    expect(classifyMessage(hostile)).toEqual(['auto_reply']);
    expect(() => classifyMessage(null as unknown as ClassifyInput)).not.toThrow();
    expect(classifyMessage(undefined as unknown as ClassifyInput)).toEqual([]);
  });

  it('is not fooled by header names from Object.prototype', () => {
    const input = message([]);
    const headers = Object.create({ 'list-id': ['<inherited.example.org>'] }) as Record<string, string[]>;
    Object.assign(headers, input.headers);
    expect(classifyMessage({ ...input, headers })).toEqual([]);
  });

  it('stays fast and correct on hostile long values', () => {
    const huge = 'a'.repeat(2_000_000);
    const input = withHeaders([`X-Junk: ${huge}`, `List-Id: <${'x'.repeat(50_000)}.example.org>`], {
      subject: `Fwd: ${' '.repeat(500_000)}${huge}`,
      ownText: `I am out of the office ${'until '.repeat(200_000)}`,
      from: from(`${'n'.repeat(100_000)}@example.com`),
      attachments: Array.from({ length: 100_000 }, () => ({ type: 'application/pdf' })),
    });
    input.headers['content-type'] = [
      `multipart/report; ${'x=y; '.repeat(100_000)}report-type=disposition-notification`,
    ];
    const started = performance.now();
    const reasons = classifyMessage(input);
    const ms = performance.now() - started;
    // Long own text is never a notice nor a trivial note; the list header still counts.
    expect(reasons).toEqual(['mailing_list']);
    console.log(`hostile classification input: ${ms.toFixed(0)} ms`);
  });

  it('handles many header values and names without scanning them all', () => {
    const input = message([]);
    input.headers['list-id'] = Array.from({ length: 100_000 }, () => '');
    for (let i = 0; i < 10_000; i++) input.headers[`x-filler-${i}`] = ['v'];
    input.headers['x-mailchimp-late'] = ['1'];
    const started = performance.now();
    expect(classifyMessage(input)).toEqual([]);
    console.log(`many header values: ${(performance.now() - started).toFixed(0)} ms`);
  });
});

describe('describeSkipReason', () => {
  it('gives a distinct one-line explanation for every reason', () => {
    const reasons: SkipReason[] = [
      'auto_reply',
      'bulk',
      'mailing_list',
      'no_reply_sender',
      'bounce',
      'calendar',
      'bare_forward',
    ];
    const lines = reasons.map(describeSkipReason);
    for (const line of lines) {
      expect(line.length).toBeGreaterThan(10);
      expect(line).not.toMatch(/\n/);
    }
    expect(new Set(lines).size).toBe(reasons.length);
    expect(describeSkipReason('bounce')).toMatch(/bounce/);
  });
});
