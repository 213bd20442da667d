// The parent that is itself a forward, through sync and `dataset build` on a real Dovecot: a forward with no note or
// a trivial one ("FYI") stands for the message it carries, whether it is stored or rebuilt from the reply's quote —
// one rule (README, dataset section): its text is the note followed by the carried message's own text.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { syncAndBuild } from '../helpers/dataset-build.js';
import { buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const day = (d: number, h = 9) => new Date(Date.UTC(2023, 9, d, h, 0));

interface Pair {
  replyKey: string;
  pairedBy: string;
  incoming: { from: { name?: string; address?: string }[]; subject: string | null; body: string };
  reply: string;
}

describe('a parent that is a forward, stored or rebuilt', () => {
  let account: TestAccount;
  let pairs: Pair[];
  let dropped: Record<string, number>;
  const me = () => `Sven Holm <${account.user}@example.test>`;
  const byKey = (key: string) => pairs.find((p) => p.replyKey === key);
  const outlookBlock = (from: string, sent: string, to: string, subject: string) =>
    `-----Original Message-----\r\nFrom: ${from}\r\nSent: ${sent}\r\nTo: ${to}\r\nSubject: ${subject}\r\n`;

  beforeAll(async () => {
    account = newAccount(server);
    const inbox: string[] = [];
    const sent: string[] = [];
    // 1. Stored: Ravi forwards Zoe's message with no note; Sven answers the forward.
    inbox.push(
      buildMessage({
        from: 'Ravi Menon <ravi@bureau.example>',
        to: me(),
        subject: 'Fwd: Parking from November',
        messageId: '<ravi-fwd@bureau.example>',
        body: '\r\n\r\n---------- Forwarded message ---------\r\nFrom: Zoe Laine <zoe@facilities.example>\r\nDate: Mon, 2 Oct 2023 at 08:00\r\nSubject: Parking from November\r\nTo: Ravi Menon <ravi@bureau.example>\r\n\r\nFrom November the garage on Kade Street closes for repairs; use the lot behind building C.\r\n',
        date: day(2, 10),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        to: 'Ravi Menon <ravi@bureau.example>',
        subject: 'Re: Fwd: Parking from November',
        messageId: '<sven-parking@example.test>',
        inReplyTo: '<ravi-fwd@bureau.example>',
        references: '<ravi-fwd@bureau.example>',
        body: 'Thanks Ravi, I will bike then.\r\n',
        date: day(2, 11),
      }),
    );
    // 2. Stored: Ravi forwards with "FYI".
    inbox.push(
      buildMessage({
        from: 'Ravi Menon <ravi@bureau.example>',
        to: me(),
        subject: 'FW: Audit dates',
        messageId: '<ravi-fyi@bureau.example>',
        body: `FYI\r\n\r\n${outlookBlock('Petersen, Mads', 'Tuesday, October 03, 2023 8:00 AM', 'Menon, Ravi', 'Audit dates')}\r\nThe auditors come on the 16th and 17th.\r\n`,
        date: day(3, 10),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        to: 'Ravi Menon <ravi@bureau.example>',
        subject: 'RE: FW: Audit dates',
        messageId: '<sven-audit@example.test>',
        inReplyTo: '<ravi-fyi@bureau.example>',
        references: '<ravi-fyi@bureau.example>',
        body: 'I am away on the 17th; can someone cover?\r\n',
        date: day(3, 12),
      }),
    );
    // 3. Rebuilt: Sven answers a forward he did not keep; its block is empty and carries a forward of a forward.
    sent.push(
      buildMessage({
        from: me(),
        to: 'Ines Duarte <ines@bureau.example>',
        subject: 'RE: FW: Canteen menu',
        messageId: '<sven-canteen@example.test>',
        body: `Fish on Friday is fine by me.\r\n\r\n${outlookBlock('Duarte, Ines', 'Wednesday, October 04, 2023 9:00 AM', 'Holm, Sven', 'FW: Canteen menu')}\r\n\r\n\r\n${outlookBlock('Kowalski, Ewa', 'Wednesday, October 04, 2023 8:30 AM', 'Duarte, Ines', 'FW: Canteen menu')}\r\n\r\n\r\n${outlookBlock('Canteen', 'Tuesday, October 03, 2023 4:00 PM', 'Kowalski, Ewa', 'Canteen menu')}\r\n\r\nNext week: soup on Monday, fish on Friday.\r\n`,
        date: day(4, 10),
      }),
    );
    // 4. Rebuilt: a forward with "FYI -" quoted in the reply.
    sent.push(
      buildMessage({
        from: me(),
        to: 'Ines Duarte <ines@bureau.example>',
        subject: 'RE: FW: Room 2.14',
        messageId: '<sven-room@example.test>',
        body: `Perfect, I will bring the projector and the minutes.\r\n\r\n${outlookBlock('Duarte, Ines', 'Thursday, October 05, 2023 9:00 AM', 'Holm, Sven', 'FW: Room 2.14')}\r\n\r\nFYI -\r\n\r\n${outlookBlock('Front Desk', 'Thursday, October 05, 2023 8:40 AM', 'Duarte, Ines', 'Room 2.14')}\r\n\r\nRoom 2.14 is booked for you from 1 to 3 pm.\r\n`,
        date: day(5, 10),
      }),
    );

    ({ pairs, dropped } = await syncAndBuild<Pair>(account, inbox, sent));
    console.log(`pairs: ${JSON.stringify(pairs.map((p) => [p.replyKey, p.pairedBy, p.incoming.body]))}`);
    console.log(`dropped: ${JSON.stringify(dropped)}`);
  });

  it('a stored forward without a note: the parent is the forward, its text the carried message', () => {
    const p = byKey('<sven-parking@example.test>');
    expect(p?.pairedBy).not.toBe('reconstructed');
    expect(p?.incoming.from[0]?.address).toBe('ravi@bureau.example');
    expect(p?.incoming.body).toBe(
      'From November the garage on Kade Street closes for repairs; use the lot behind building C.',
    );
    expect(p?.reply).toBe('Thanks Ravi, I will bike then.');
  });

  it('a stored forward with "FYI": the note and the carried message', () => {
    const p = byKey('<sven-audit@example.test>');
    expect(p?.incoming.from[0]?.address).toBe('ravi@bureau.example');
    expect(p?.incoming.body).toBe('FYI\n\nThe auditors come on the 16th and 17th.');
  });

  it('a rebuilt forward whose blocks are empty: the deepest carried text', () => {
    const p = byKey('<sven-canteen@example.test>');
    expect(p?.pairedBy).toBe('reconstructed');
    expect(p?.incoming.from[0]?.name).toBe('Duarte, Ines');
    expect(p?.incoming.body).toBe('Next week: soup on Monday, fish on Friday.');
  });

  it('a rebuilt forward with "FYI -": the note and the carried message', () => {
    const p = byKey('<sven-room@example.test>');
    expect(p?.pairedBy).toBe('reconstructed');
    expect(p?.incoming.body).toBe('FYI -\n\nRoom 2.14 is booked for you from 1 to 3 pm.');
  });

  it('drops none of them as junk_parent or parent_not_found', () => {
    expect(dropped.junk_parent ?? 0).toBe(0);
    expect(dropped.parent_not_found ?? 0).toBe(0);
    expect(pairs).toHaveLength(4);
  });
});
