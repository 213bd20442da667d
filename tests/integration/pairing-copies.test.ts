// Copies of one reply against the same words sent to different people, through sync and `dataset build` on a real
// Dovecot: "Yes, see you there." answering three invitations from three people (each its own Message-ID and
// In-Reply-To, sent a minute apart) is three examples; one reply stored twice with new Message-IDs and a skewed
// date, answering two stored copies of one incoming message, is one.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { syncAndBuild } from '../helpers/dataset-build.js';
import { buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const at = (d: number, h: number, m = 0) => new Date(Date.UTC(2024, 4, d, h, m));

interface Pair {
  replyKey: string;
  pairedBy: string;
  incoming: { from: { name?: string; address?: string }[]; body: string };
  reply: string;
}

describe('copies of a reply against one text sent to several people (Dovecot)', () => {
  let account: TestAccount;
  let pairs: Pair[];
  let dropped: Record<string, number>;
  const me = () => `Anna de Vries <${account.user}@example.test>`;

  beforeAll(async () => {
    account = newAccount(server);
    const inbox: string[] = [];
    const sent: string[] = [];
    // 1. Three people invite Anna to a meeting; she answers each, only to them, with the same words.
    for (const n of [1, 2, 3]) {
      inbox.push(
        buildMessage({
          from: `Person ${n} <p${n}@other${n}.test>`,
          to: me(),
          subject: 'Meeting',
          messageId: `<min${n}@other${n}.test>`,
          body: `Hi Anna,\r\n\r\nCan we meet on Friday at ${n + 9}:00 about project ${n}?\r\n\r\nPerson ${n}\r\n`,
          date: at(6, 8, n),
        }),
      );
      sent.push(
        buildMessage({
          from: me(),
          to: `Person ${n} <p${n}@other${n}.test>`,
          subject: 'Re: Meeting',
          messageId: `<mout${n}@example.test>`,
          inReplyTo: `<min${n}@other${n}.test>`,
          references: `<min${n}@other${n}.test>`,
          body: 'Yes, see you there.\r\n',
          date: at(6, 9, n),
        }),
      );
    }
    // 2. One incoming message stored twice (an export gave the copy a new Message-ID and a date 12 hours off), and
    //    Anna's reply to it stored twice the same way: one example.
    const question = (id: string, date: Date) =>
      buildMessage({
        from: 'Jin Kim <jin@campus.example>',
        to: me(),
        subject: 'schedule and more..',
        messageId: id,
        body: 'Dear Anna,\r\n\r\nI think I can start on May 30. Will that be good?\r\n\r\nJin\r\n',
        date,
      });
    inbox.push(question('<jin-a@campus.example>', at(7, 12, 25)), question('<jin-b@campus.example>', at(7, 0, 25)));
    const answer = (id: string, date: Date) =>
      buildMessage({
        from: me(),
        to: 'Jin Kim <jin@campus.example>',
        subject: 'Re: schedule and more..',
        messageId: id,
        body: 'Jin,\r\n\r\nMay 30 sounds good. I shall inform our HR department.\r\n\r\nAnna\r\n',
        date,
      });
    sent.push(answer('<ans-a@example.test>', at(7, 21, 6)), answer('<ans-b@example.test>', at(7, 11, 6)));

    ({ pairs, dropped } = await syncAndBuild<Pair>(account, inbox, sent));
    console.log(`pairs: ${JSON.stringify(pairs.map((p) => [p.replyKey, p.pairedBy, p.incoming.from]))}`);
    console.log(`dropped: ${JSON.stringify(dropped)}`);
  });

  it('keeps the same short reply to three different people as three examples, each with its own parent', () => {
    for (const n of [1, 2, 3]) {
      const p = pairs.find((x) => x.replyKey === `<mout${n}@example.test>`);
      expect(p?.reply).toBe('Yes, see you there.');
      expect(p?.pairedBy).toBe('headers');
      expect(p?.incoming.from[0]?.address).toBe(`p${n}@other${n}.test`);
      expect(p?.incoming.body).toContain(`project ${n}?`);
    }
  });

  it('makes one example of a reply stored twice with new Message-IDs and a skewed date', () => {
    const copies = pairs.filter((p) => p.replyKey === '<ans-a@example.test>' || p.replyKey === '<ans-b@example.test>');
    expect(copies).toHaveLength(1);
    expect(copies[0]?.incoming.from[0]?.address).toBe('jin@campus.example');
    expect(copies[0]?.reply).toContain('May 30 sounds good.');
    expect(dropped.duplicate).toBe(1);
    expect(pairs).toHaveLength(4);
  });
});
