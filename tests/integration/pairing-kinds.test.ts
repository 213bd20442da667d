// Kinds of pairing faults beyond the field cases, in modern client styles, through sync and `dataset build` on a
// real Dovecot: a Gmail thread whose answered message is gone (rebuilt from the first quote, not the deeper one),
// a Gmail-style forward with a note to a colleague, one forwarded back to its sender, an Outlook forward whose note
// goes only to the carried message's other recipients (an answer), a Netscape "[Fwd: …]" forward, a reply to the
// user's own message, a quote-less phone reply, copies of a reply with new Message-IDs and a skewed date, and a
// Bcc-to-self copy with the same Message-ID.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { syncAndBuild } from '../helpers/dataset-build.js';
import { buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const day = (d: number, h = 9) => new Date(Date.UTC(2024, 2, d, h, 0));

interface Pair {
  replyKey: string;
  pairedBy: string;
  reconstructed: boolean;
  warnings: string[];
  incoming: { from: { name?: string; address?: string }[]; date: number | null; subject: string | null; body: string };
  reply: string;
}

describe('pairing kinds against Dovecot', () => {
  let account: TestAccount;
  let pairs: Pair[];
  let dropped: Record<string, number>;
  const me = () => `Anna de Vries <${account.user}@example.test>`;
  const byKey = (key: string) => pairs.find((p) => p.replyKey === key);

  beforeAll(async () => {
    account = newAccount(server);
    const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args]);
    const inbox: string[] = [];
    const sent: string[] = [];
    // 1. Tom's first message is stored; his second ("Great, Thursday it is") was deleted. Anna answers the second,
    //    quoting both: the pair must be the second, rebuilt from the quote — not the stored first one.
    inbox.push(
      buildMessage({
        from: 'Tom Baker <tom@partner.example>',
        to: me(),
        subject: 'Kickoff',
        messageId: '<tom-1@partner.example>',
        body: 'Hi Anna,\r\n\r\nCan we move the kickoff to Thursday?\r\n\r\nTom\r\n',
        date: day(4),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        to: 'Tom Baker <tom@partner.example>',
        subject: 'Re: Kickoff',
        messageId: '<anna-2@example.test>',
        inReplyTo: '<tom-2@partner.example>',
        references: '<tom-1@partner.example> <anna-1@example.test> <tom-2@partner.example>',
        body: 'Perfect, see you at 10.\r\n\r\nAnna\r\n\r\nOn Tue, 5 Mar 2024 at 11:02, Tom Baker <tom@partner.example> wrote:\r\n> Great, Thursday it is. Shall we say 10?\r\n>\r\n> On Mon, 4 Mar 2024 at 18:00, Anna de Vries <anna@example.test> wrote:\r\n>> Thursday works.\r\n>>\r\n>> On Mon, 4 Mar 2024 at 09:00, Tom Baker <tom@partner.example> wrote:\r\n>>> Hi Anna,\r\n>>>\r\n>>> Can we move the kickoff to Thursday?\r\n',
        date: day(5, 12),
      }),
    );
    // 2. A forward with a note to a colleague, and 3. the same message forwarded back to its sender.
    const carried =
      '---------- Forwarded message ---------\r\nFrom: Lucía García <lucia@empresa.example>\r\nDate: Wed, 6 Mar 2024 at 10:00\r\nSubject: Invoice 42\r\nTo: Anna de Vries <anna@example.test>\r\n\r\nHi Anna, invoice 42 is still open. Could you check?\r\n\r\nLucía\r\n';
    sent.push(
      buildMessage({
        from: me(),
        to: 'Piet <piet@example.test>',
        subject: 'Fwd: Invoice 42',
        messageId: '<fwd-colleague@example.test>',
        body: `Piet, can you look into this one?\r\n\r\n${carried}`,
        date: day(6, 11),
      }),
      buildMessage({
        from: me(),
        to: 'Lucía García <lucia@empresa.example>',
        subject: 'Fwd: Invoice 42',
        messageId: '<fwd-back@example.test>',
        body: `Lucía, it was paid on Monday, see the receipt.\r\n\r\n${carried}`,
        date: day(6, 12),
      }),
    );
    // 4. A follow-up to the user's own message: the quoted message is Anna's.
    sent.push(
      buildMessage({
        from: me(),
        to: 'Sam Lee <sam@partner.example>',
        subject: 'Re: Budget',
        messageId: '<followup@example.test>',
        body: `Any news on this?\r\n\r\nAnna\r\n\r\nOn Thu, 7 Mar 2024 at 09:00, Anna de Vries <${account.user}@example.test> wrote:\r\n> Sam, could you send the Q4 numbers?\r\n`,
        date: day(8),
      }),
    );
    // 5. A phone reply that quotes nothing and has no headers: the latest message of the thread from its addressee.
    inbox.push(
      buildMessage({
        from: 'Jonas Weber <jonas@firma.example>',
        to: me(),
        subject: 'Workshop',
        messageId: '<jonas-1@firma.example>',
        body: 'Does the 12th work for the workshop?\r\n',
        date: day(9, 8),
      }),
      buildMessage({
        from: 'Jonas Weber <jonas@firma.example>',
        to: me(),
        subject: 'Re: Workshop',
        messageId: '<jonas-2@firma.example>',
        body: 'Or the 14th, if the 12th is too soon?\r\n',
        date: day(9, 10),
      }),
      buildMessage({
        from: 'Jonas Weber <jonas@firma.example>',
        to: me(),
        subject: 'Re: Workshop',
        messageId: '<jonas-3@firma.example>',
        body: 'Never mind, the 14th it is.\r\n',
        date: day(9, 15),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        to: 'jonas@firma.example',
        subject: 'RE: Workshop',
        messageId: '<phone@example.test>',
        body: 'The 14th is better for me.\r\n\r\nSent from my phone\r\n',
        date: day(9, 11),
      }),
    );
    // 6. Two copies of one reply (an export gave them new Message-IDs; one carries a date 9 hours off).
    const copy = (id: string, date: Date) =>
      buildMessage({
        from: me(),
        to: 'Claire Martin <claire@societe.example>',
        subject: 'Re: Facture',
        messageId: id,
        body: 'Bonjour Claire,\r\n\r\nLa facture part demain.\r\n\r\nAnna\r\n\r\nLe 10/03/2024 à 14:05, Claire Martin <claire@societe.example> a écrit :\r\n> Pourriez-vous envoyer la facture de mars ?\r\n',
        date,
      });
    sent.push(copy('<copy-a@example.test>', day(10, 15)), copy('<copy-b@example.test>', day(11, 0)));
    // 7. The copy Anna Bcc'd to herself: the same Message-ID with other headers (another size: another content).
    inbox.push(`Delivered-To: ${account.user}@example.test\r\n${copy('<copy-a@example.test>', day(10, 15))}`);

    // 8. An Outlook forward whose note goes only to someone the carried message was already sent to (its Cc): an
    //    answer in that conversation, rebuilt from the quote. 9. A Netscape-style "[Fwd: …]" with a note to a third
    //    party: a forward, though its separator reads like a reply's.
    sent.push(
      buildMessage({
        from: me(),
        to: 'Piet Jansen <piet.jansen@example.test>',
        subject: 'FW: Venue',
        messageId: '<fwd-participant@example.test>',
        body: 'Piet, we need the signed contract before we confirm.\r\n\r\nAnna\r\n\r\n-----Original Message-----\r\nFrom: Bob Osei <bob@venue.example>\r\nSent: Tuesday, March 12, 2024 9:30 AM\r\nTo: Anna de Vries\r\nCc: Jansen, Piet\r\nSubject: Venue\r\n\r\nThe hall is free on the 20th. Shall I book it for you?\r\n\r\nBob\r\n',
        date: day(12, 11),
      }),
      buildMessage({
        from: me(),
        to: 'Jo Park <jo@elsewhere.example>',
        subject: '[Fwd: Catering]',
        messageId: '<fwd-netscape@example.test>',
        body: 'Jo, for your files.\r\n\r\n-------- Original Message --------\r\nSubject: Catering\r\nDate: Wed, 13 Mar 2024 10:00:00 +0100\r\nFrom: Mia Rossi <mia@cucina.example>\r\nTo: Anna de Vries <anna@example.test>\r\n\r\nThe menu for the 20th is attached.\r\n',
        date: day(13, 12),
      }),
    );

    ({ pairs, dropped } = await syncAndBuild<Pair>(account, inbox, sent));
    const stats = JSON.parse((await cli('dataset', 'stats', '--json')).stdout).accounts[0];
    console.log(`pairs: ${JSON.stringify(pairs.map((p) => [p.replyKey, p.pairedBy, p.incoming.from]))}`);
    console.log(
      `dropped: ${JSON.stringify(dropped)}; stats: ${JSON.stringify({ pairedBy: stats.pairedBy, flagged: stats.flagged })}`,
    );
  });

  it('answers the first quoted message, rebuilt from the quote, when it is not stored', () => {
    const p = byKey('<anna-2@example.test>');
    expect(p?.pairedBy).toBe('reconstructed');
    expect(p?.incoming.from[0]).toEqual({ name: 'Tom Baker', address: 'tom@partner.example' });
    expect(p?.incoming.body).toBe('Great, Thursday it is. Shall we say 10?');
    expect(p?.incoming.subject).toBe('Kickoff');
    expect(p?.reply).toBe('Perfect, see you at 10.\n\nAnna');
  });

  it('drops a forward with a note to a colleague; one forwarded back to its sender answers it', () => {
    expect(byKey('<fwd-colleague@example.test>')).toBeUndefined();
    const back = byKey('<fwd-back@example.test>');
    expect(back?.incoming.from[0]?.address).toBe('lucia@empresa.example');
    expect(back?.incoming.body).toContain('invoice 42 is still open');
    expect(back?.reply).toBe('Lucía, it was paid on Monday, see the receipt.');
    expect(dropped.forward).toBe(2);
  });

  it('answers the carried message when the note goes only to its other recipients; "[Fwd: …]" to a third party is a forward', () => {
    const p = byKey('<fwd-participant@example.test>');
    expect(p?.pairedBy).toBe('reconstructed');
    expect(p?.incoming.from[0]).toEqual({ name: 'Bob Osei', address: 'bob@venue.example' });
    expect(p?.incoming.body).toContain('The hall is free on the 20th.');
    expect(p?.reply).toBe('Piet, we need the signed contract before we confirm.\n\nAnna');
    expect(byKey('<fwd-netscape@example.test>')).toBeUndefined();
  });

  it('leaves out a follow-up to the user’s own message as reply_to_self', () => {
    expect(byKey('<followup@example.test>')).toBeUndefined();
    expect(dropped.reply_to_self).toBe(1);
  });

  it('pairs a quote-less phone reply with the latest message of its thread from its addressee before it', () => {
    const p = byKey('<phone@example.test>');
    expect(p?.pairedBy).toBe('subject');
    expect(p?.incoming.body).toBe('Or the 14th, if the 12th is too soon?');
    expect(p?.reply).toBe('The 14th is better for me.');
  });

  it('makes one example of three copies of a reply (new Message-IDs, a skewed date, a Bcc to self), parent rebuilt from the French attribution', () => {
    const copies = pairs.filter(
      (p) => p.replyKey === '<copy-a@example.test>' || p.replyKey === '<copy-b@example.test>',
    );
    expect(copies).toHaveLength(1);
    expect(copies[0]?.incoming.from[0]).toEqual({ name: 'Claire Martin', address: 'claire@societe.example' });
    expect(copies[0]?.incoming.body).toBe('Pourriez-vous envoyer la facture de mars ?');
    expect(dropped.duplicate).toBe(2);
    expect(pairs).toHaveLength(5);
  });
});
