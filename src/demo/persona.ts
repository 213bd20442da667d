// A synthetic persona: Anna answers Dutch mail in Dutch ("Hoi <name>," … "Groetjes, Anna") and
// English mail in English ("Hi <name>," … "Cheers, Anna"). The sample mailbox of `understudy demo`,
// and what the learning tests and benchmarks train on.
import { randomUUID } from 'node:crypto';

const PEOPLE = [
  ['Pieter', 'Jansen', 'nl'],
  ['Sanne', 'de Boer', 'nl'],
  ['Daan', 'Visser', 'nl'],
  ['Lotte', 'Smit', 'nl'],
  ['Bram', 'Mulder', 'nl'],
  ['Eva', 'Bakker', 'nl'],
  ['Tom', 'Baker', 'en'],
  ['Emma', 'Clark', 'en'],
  ['Jack', 'Wilson', 'en'],
  ['Olivia', 'Hughes', 'en'],
  ['Harry', 'Evans', 'en'],
  ['Grace', 'Turner', 'en'],
] as const;

const ASKS: Record<'nl' | 'en', string[]> = {
  nl: [
    'Kun je mij de offerte voor het nieuwe project sturen?',
    'Heb je volgende week tijd om de planning door te nemen?',
    'Zou je de notulen van de vergadering willen delen?',
    'Wanneer kunnen we de nieuwe website bespreken?',
    'Kun je even kijken naar de factuur van vorige maand?',
    'Heb je de presentatie voor donderdag al klaar?',
    'Kunnen we de afspraak van maandag verzetten?',
    'Wil je de contracten nog een keer nalezen?',
  ],
  en: [
    'Could you send me the quote for the new project?',
    'Do you have time next week to go through the schedule?',
    'Would you share the minutes of the meeting?',
    'When can we discuss the new website?',
    'Could you have a look at last month’s invoice?',
    'Is the presentation for Thursday ready yet?',
    'Can we move Monday’s meeting?',
    'Would you read through the contracts once more?',
  ],
};

const ANSWERS: Record<'nl' | 'en', string[]> = {
  nl: [
    'Ik stuur het je morgen.',
    'Dat komt goed, ik kijk er vandaag naar.',
    'Prima, donderdag past mij goed.',
    'Ja hoor, ik regel het.',
  ],
  en: [
    'I will send it tomorrow.',
    'Sure, I will look at it today.',
    'Fine, Thursday works for me.',
    'Yes, I will sort it out.',
  ],
};

export interface PersonaThread {
  language: 'nl' | 'en';
  firstName: string;
  /** The correspondent who wrote the incoming message. */
  from: { name: string; address: string };
  subject: string;
  /** When the incoming message was sent, ms since epoch (the reply follows an hour later). */
  date: number;
  /** Message-ID of the incoming message. */
  messageId: string;
  incoming: string;
  reply: string;
  incomingRaw: string;
  replyRaw: string;
}

/** `count` threads, alternating languages and correspondents, one day apart. */
export function personaThreads(me: string, count: number, start = Date.UTC(2024, 0, 1, 9)): PersonaThread[] {
  const threads: PersonaThread[] = [];
  for (let i = 0; i < count; i++) {
    const [first, last, lang] = PEOPLE[i % PEOPLE.length] as (typeof PEOPLE)[number];
    const ask = ASKS[lang][(i * 7) % ASKS[lang].length] as string;
    const answer = ANSWERS[lang][(i * 5) % ANSWERS[lang].length] as string;
    const incoming =
      lang === 'nl'
        ? `Hoi Anna,\r\n\r\n${ask}\r\n\r\nGroet,\r\n${first}`
        : `Hi Anna,\r\n\r\n${ask}\r\n\r\nThanks,\r\n${first}`;
    const reply =
      lang === 'nl'
        ? `Hoi ${first},\r\n\r\n${answer}\r\n\r\nGroetjes,\r\nAnna`
        : `Hi ${first},\r\n\r\n${answer}\r\n\r\nCheers,\r\nAnna`;
    const address = `${first.toLowerCase()}@${lang === 'nl' ? 'klant.example' : 'partner.example'}`;
    const id = `<persona-${i}@${lang}.example>`;
    const date = start + i * 86_400_000;
    const subject = lang === 'nl' ? `Vraag ${i}` : `Question ${i}`;
    threads.push({
      language: lang,
      firstName: first,
      from: { name: `${first} ${last}`, address },
      subject,
      date,
      messageId: id,
      incoming,
      reply,
      incomingRaw: plainMessage({
        from: `${first} ${last} <${address}>`,
        to: me,
        subject,
        messageId: id,
        body: incoming,
        date: new Date(date),
      }),
      replyRaw: plainMessage({
        from: me,
        to: `${first} ${last} <${address}>`,
        subject: `Re: ${subject}`,
        inReplyTo: id,
        references: id,
        body: `${reply}\r\n`,
        date: new Date(date + 3_600_000),
      }),
    });
  }
  return threads;
}

/** A plain-text RFC 5322 message (UTF-8, 8bit). */
function plainMessage(m: {
  from: string;
  to: string;
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  body: string;
  date: Date;
}): string {
  const headers = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Message-ID: ${m.messageId ?? `<${randomUUID()}@persona.example>`}`,
    `Date: ${m.date.toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
  ];
  if (m.inReplyTo) headers.push(`In-Reply-To: ${m.inReplyTo}`);
  if (m.references) headers.push(`References: ${m.references}`);
  headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
  return `${headers.join('\r\n')}\r\n\r\n${m.body}`;
}
