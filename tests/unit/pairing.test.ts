// Pairing a reply with the message it answers: the first quoted message (never one quoted deeper), its
// reconstruction when it is not stored, forwards to third parties, clock skew, copies, quote-less replies.
import { describe, expect, it } from 'vitest';
import { dedupeReplies } from '../../src/dataset/dedupe.js';
import { isUser, userIdentity } from '../../src/dataset/identity.js';
import { pairWarnings } from '../../src/dataset/pair-warnings.js';
import {
  type DatasetMessage,
  isForwardToThirdParty,
  parentByQuote,
  parentBySubject,
} from '../../src/dataset/pairing.js';
import { addressedTo, nameMatches, peopleFromField } from '../../src/dataset/people.js';
import { reconstructParent } from '../../src/dataset/reconstruct.js';
import { baseSubject } from '../../src/dataset/thread.js';
import { quotedMessage } from '../../src/mail/quoted-message.js';

const HOUR = 3_600_000;

function message(m: Partial<DatasetMessage> & { contentId: number }): DatasetMessage {
  return {
    messageId: `<m${m.contentId}@example.test>`,
    inReplyTo: null,
    references: [],
    from: [],
    to: [],
    cc: [],
    replyTo: [],
    subject: null,
    date: null,
    inSent: false,
    ...m,
  };
}

function bySubject(...messages: DatasetMessage[]): Map<string, DatasetMessage[]> {
  const out = new Map<string, DatasetMessage[]>();
  for (const m of messages) out.set(baseSubject(m.subject), [...(out.get(baseSubject(m.subject)) ?? []), m]);
  return out;
}

// An Outlook reply whose first quoted message (Angelika's "Brilliant") quotes the user's earlier answer, which
// quotes the invitation: three levels.
const CHAIN = [
  'Angelika,',
  '',
  'Working on it.',
  '',
  'Vince',
  '',
  ' -----Original Message-----',
  'From: \tAngelika Staude <AStaude@iirltd.co.uk>@ENRON  ',
  'Sent:\tWednesday, October 24, 2001 8:20 AM',
  'To:\tKaminski, Vince J',
  'Subject:\tRE: Gas & PoweRisk 2001 - Chairman',
  '',
  'Brilliant, thank you.',
  '',
  'All we need now is your presentation...',
  '',
  'Angelika',
  '',
  '-----Original Message-----',
  'From: Vince.J.Kaminski@enron.com [mailto:Vince.J.Kaminski@enron.com]',
  'Sent: Wednesday, October 24, 2001 2:20 PM',
  'To: AStaude@iirltd.co.uk',
  'Subject: RE: Gas & PoweRisk 2001 - Chairman',
  '',
  'Angelika,',
  '',
  'I shall be honored to serve as a chairman.',
  '',
  'Vince',
  '',
  '    -----Original Message-----',
  '   From:   Angelika Staude <AStaude@iirltd.co.uk>@ENRON',
  '   Sent:   Wednesday, October 24, 2001 5:08 AM',
  '   To:     Kaminski, Vince J',
  '   Subject:  Gas & PoweRisk 2001 - Chairman',
  '',
  '   Vince,',
  '',
  '   I would like to offer you to be the chairman for the morning stream session. Would you be interested?',
  '',
  '   Angelika Staude',
].join('\n');

describe('quotedMessage: the first quoted message of a reply', () => {
  it('reads sender, date, subject and text of the first block only, not what it quotes deeper', () => {
    const q = quotedMessage({ text: CHAIN });
    console.log(`first quoted message: ${JSON.stringify(q)}`);
    expect(q?.from).toEqual({ name: 'Angelika Staude', address: 'astaude@iirltd.co.uk' });
    expect(q?.date).toBe('Wednesday, October 24, 2001 8:20 AM');
    expect(q?.dateMs).toBe(Date.UTC(2001, 9, 24, 8, 20));
    expect(q?.subject).toBe('RE: Gas & PoweRisk 2001 - Chairman');
    expect(q?.introducedBy).toBe('header');
    expect(q?.text).toBe('Brilliant, thank you.\n\nAll we need now is your presentation...\n\nAngelika');
  });

  it('reads the Lotus Notes sender line above To/cc/Subject, and a delegate’s principal', () => {
    const notes = quotedMessage({
      text: 'Fine by me.\n\n\n\n"Jinbaek Kim" <jinbaek@yahoo.com> on 05/07/2001 02:25:53 AM\nTo:\t<Vince.J.Kaminski@enron.com>\ncc:\t \nSubject:\tschedule and more..\n\n\nDr. Kaminski,\nI can start on 5/30.\n',
    });
    expect(notes?.from).toEqual({ name: 'Jinbaek Kim', address: 'jinbaek@yahoo.com' });
    expect(notes?.dateMs).toBe(Date.UTC(2001, 4, 7, 2, 25, 53));
    expect(notes?.subject).toBe('schedule and more..');
    expect(notes?.text).toBe('Dr. Kaminski,\nI can start on 5/30.');
    const delegate = quotedMessage({
      text: 'OK.\n\n -----Original Message-----\nFrom: \tWhitt, Mark On Behalf Of Mark Whitt\nSent:\tWednesday, August 08, 2001 2:19 PM\nTo:\tAllen, Phillip K.\nSubject:\tRockies\n\nCan we talk about the Rockies?\n',
    });
    expect(delegate?.from).toEqual({ name: 'Mark Whitt' });
  });

  it('gives a forward without a note the text of the message it carries', () => {
    const q = quotedMessage({
      text: 'Interesting stuff\n\n -----Original Message-----\nFrom: \tTweed, Sheila  \nSent:\tMonday, December 10, 2001 12:02 PM\nTo:\tMann, Kay\nSubject:\tFW: New Organisation\n\n\n\n -----Original Message-----\nFrom: \tKitchen, Louise  \nSent:\tMonday, December 10, 2001 11:00 AM\nTo:\tAll ENA\nSubject:\tNew Organisation\n\nThe new organisation starts on Monday.\n',
    });
    expect(q?.from).toEqual({ name: 'Tweed, Sheila' });
    expect(q?.text).toBe('The new organisation starts on Monday.');
  });

  it('stops at the next attribution in `>` quotes and HTML quote containers, and reads forwarded header blocks', () => {
    const deeper = {
      from: { name: 'Tom Baker', address: 'tom@partner.example' },
      dateMs: Date.UTC(2024, 0, 8, 9, 12),
      text: 'Great, Thursday it is.',
    };
    const plain = quotedMessage({
      text: 'Sounds good.\n\nOn Mon, 8 Jan 2024 at 09:12, Tom Baker <tom@partner.example> wrote:\n> Great, Thursday it is.\n>\n> On Sun, 7 Jan 2024 at 20:00, Anna <anna@example.test> wrote:\n>> Could we do Thursday?\n',
    });
    expect(plain).toMatchObject(deeper);
    const html = quotedMessage({
      html: '<div dir="ltr">Sounds good.</div><div class="gmail_quote"><div class="gmail_attr">On Mon, 8 Jan 2024 at 09:12, Tom Baker &lt;tom@partner.example&gt; wrote:<br></div><blockquote class="gmail_quote"><div>Great, Thursday it is.</div><div class="gmail_quote"><div class="gmail_attr">On Sun, 7 Jan 2024 at 20:00, Anna &lt;anna@example.test&gt; wrote:</div><blockquote class="gmail_quote">Could we do Thursday?</blockquote></div></blockquote></div>',
    });
    expect(html).toMatchObject(deeper);
    const forward = quotedMessage({
      text: 'Jan, can you handle this?\n\n---------- Forwarded message ---------\nFrom: Bob Nau <rnau@mail.duke.edu>\nDate: Mon, 31 Dec 2001 at 15:12\nSubject: Recommendation\nTo: Vince <vince@example.test>\n\nDo you have a letter?\n',
    });
    expect(forward).toMatchObject({
      from: { name: 'Bob Nau', address: 'rnau@mail.duke.edu' },
      subject: 'Recommendation',
      forwarded: true,
      text: 'Do you have a letter?',
    });
  });

  it('ends the rebuilt parent at a deeper Notes "NAME <addr> on DATE" line, with or without To/cc/Subject under it', () => {
    const outlook =
      'Sent the corrected file.\n\nJonas\n\n-----Original Message-----\nFrom: Ruth Klein [mailto:ruth.klein@agency.example]\nSent: Friday, March 15, 2002 11:20 AM\nTo: Weber, Jonas\nSubject: RE: Monthly volumes\n\nThe file has no rows for the 14th. Please resend.\n\nThanks,\nRuth\n\n\n\n';
    const deeper = [
      '"Weber, Jonas" <jonas.weber@firma.example> on 03/14/2002 07:41:10 PM\n\n     \n     \n To:      "Klein, Ruth" <ruth.klein@agency.example>,\n          "Lee, Sam" <sam.lee@agency.example>\n     \n cc:      "Brandt, Eva" <eva.brandt@firma.example>\n     \n     \n Subject: Monthly volumes\n\n\nHere are the volumes for March.\n',
      'jonas.weber@firma.example on 14.03.2002 19:41\n\nHere are the volumes for March.\n',
      'Jonas Weber/BER/FIRMA@FIRMA on 03/14/2002 07:41 PM\nTo: ruth.klein@agency.example\ncc:\nSubject: Monthly volumes\n\nHere are the volumes for March.\n',
    ];
    for (const tail of deeper) {
      const q = quotedMessage({ text: outlook + tail });
      expect(q?.from).toEqual({ name: 'Ruth Klein', address: 'ruth.klein@agency.example' });
      expect(q?.subject).toBe('RE: Monthly volumes');
      expect(q?.text).toBe('The file has no rows for the 14th. Please resend.\n\nThanks,\nRuth');
    }
    // The Notes line as the first quote: it is the parent's sender and date.
    const first = quotedMessage({ text: `Thanks, got them.\n\nRuth\n\n${deeper[0]}` });
    expect(first?.from).toEqual({ name: 'Weber, Jonas', address: 'jonas.weber@firma.example' });
    expect(first?.dateMs).toBe(Date.UTC(2002, 2, 14, 19, 41, 10));
    expect(first?.subject).toBe('Monthly volumes');
    expect(first?.text).toBe('Here are the volumes for March.');
  });

  it('reads a GroupWise ">>> NAME <addr> DATE >>>" attribution, first or quoted deeper', () => {
    const groupWise =
      '>>> "Ortiz, Dana" <dortiz@county.example> 04/22/02 03:10PM >>>\nIs the permit ready for pickup?\n\nDana\n';
    const first = quotedMessage({ text: `Yes, at the front desk.\n\nBob\n\n${groupWise}` });
    expect(first?.from).toEqual({ name: 'Ortiz, Dana', address: 'dortiz@county.example' });
    expect(first?.dateMs).toBe(Date.UTC(2002, 3, 22, 15, 10));
    expect(first?.text).toBe('Is the permit ready for pickup?\n\nDana');
    const deeper = quotedMessage({
      text: `Forwarding Lee's question.\n\n-----Original Message-----\nFrom: Lee Park <lee@county.example>\nSent: Tuesday, April 23, 2002 9:02 AM\nTo: Bob\nSubject: RE: permit\n\nDid Dana get the permit?\n\n${groupWise}`,
    });
    expect(deeper?.from).toEqual({ name: 'Lee Park', address: 'lee@county.example' });
    expect(deeper?.text).toBe('Did Dana get the permit?');
  });

  it('is null for a message that quotes nothing', () => {
    expect(quotedMessage({ text: 'Lunch on Friday?\n\nAnna' })).toBeNull();
    expect(quotedMessage({ text: '' })).toBeNull();
  });
});

describe('parentByQuote: a stored message that is the first quoted message', () => {
  const invitation = message({
    contentId: 1,
    from: [{ address: 'astaude@iirltd.co.uk' }],
    subject: 'Gas & PoweRisk 2001 - Chairman',
    date: Date.UTC(2001, 9, 24, 10, 7, 50),
  });
  const texts = new Map([
    [
      1,
      'Vince,\n\nI would like to offer you to be the chairman for the morning stream session. Would you be interested?\n\nAngelika Staude',
    ],
  ]);
  const reply = message({
    contentId: 9,
    from: [{ address: 'j.kaminski@enron.com' }],
    to: [{ address: 'astaude@iirltd.co.uk' }],
    subject: 'RE: Gas & PoweRisk 2001 - Chairman',
    date: Date.UTC(2001, 9, 24, 13, 21, 27),
    inSent: true,
  });

  it('never pairs a reply with an older message quoted deeper (threads do not collapse onto their oldest message)', () => {
    const quoted = quotedMessage({ text: CHAIN });
    if (!quoted) throw new Error('no quote');
    const match = parentByQuote({
      reply,
      quoted,
      bySubject: bySubject(invitation),
      ownText: (m) => texts.get(m.contentId) ?? null,
    });
    expect(match).toBeNull();
    // … and the quoted message is rebuilt instead, with what the block says.
    const rebuilt = reconstructParent(reply, quoted);
    expect(rebuilt?.from).toEqual([{ name: 'Angelika Staude', address: 'astaude@iirltd.co.uk' }]);
    expect(rebuilt?.subject).toBe('RE: Gas & PoweRisk 2001 - Chairman');
    expect(rebuilt?.to).toEqual([{ name: 'Kaminski, Vince J' }]);
    expect(rebuilt?.contentId).toBe(reply.contentId);
  });

  it('pairs the message that is quoted first, on its words, sender and date', () => {
    const quoted = quotedMessage({
      text: CHAIN.split('\n').slice(0, 5).concat(CHAIN.split('\n').slice(30)).join('\n'),
    });
    if (!quoted) throw new Error('no quote');
    const match = parentByQuote({
      reply,
      quoted,
      bySubject: bySubject(invitation),
      ownText: (m) => texts.get(m.contentId) ?? null,
    });
    console.log(`evidence: ${match?.evidence.join(', ')}`);
    expect(match?.parent.contentId).toBe(1);
    expect(match?.evidence).toEqual(expect.arrayContaining(['quoted text', 'attribution sender', 'attribution date']));
  });

  it('does not take another message of the same sender that day when the quoted words differ', () => {
    const sameDay = message({ ...invitation, contentId: 2, date: Date.UTC(2001, 9, 24, 16, 7) });
    const quoted = {
      from: { address: 'astaude@iirltd.co.uk' },
      date: 'Wednesday, October 24, 2001 5:08 AM',
      dateMs: Date.UTC(2001, 9, 24, 5, 8),
      subject: null,
      to: null,
      cc: null,
      introducedBy: 'header' as const,
      forwarded: false,
      text: 'Could you also send your slides by Friday?',
    };
    const match = parentByQuote({
      reply,
      quoted,
      bySubject: bySubject(sameDay),
      ownText: (m) => texts.get(m.contentId) ?? null,
    });
    expect(match).toBeNull();
  });

  it('accepts a parent dated after the reply only when address, time and words all match exactly (clock skew)', () => {
    const parent = message({
      contentId: 3,
      from: [{ address: 'jporte1@columbiaenergygroup.com' }],
      subject: 'New SST Volumes for COH',
      date: Date.UTC(2000, 2, 16, 14, 39),
    });
    const skewed = message({
      contentId: 10,
      to: [{ address: 'jporte1@columbiaenergygroup.com' }],
      subject: 'Re: New SST Volumes for COH',
      date: Date.UTC(2000, 2, 16, 9, 3),
      inSent: true,
    });
    const words = 'Just a note that as of 4/1/00, CES SST capacity on TCO will decrease.';
    const quoted = {
      from: { address: 'jporte1@columbiaenergygroup.com' },
      date: '03/16/2000 08:39:28 AM',
      dateMs: Date.UTC(2000, 2, 16, 8, 39, 28),
      subject: 'New SST Volumes for COH',
      to: null,
      cc: null,
      introducedBy: 'header' as const,
      forwarded: false,
      text: words,
    };
    const ownText = () => words;
    const exact = parentByQuote({ reply: skewed, quoted, bySubject: bySubject(parent), ownText });
    expect(exact?.parent.contentId).toBe(3);
    expect(exact?.evidence).toContain('dated after the reply (clock skew)');
    expect(pairWarnings({ reply: skewed, parent, parentText: words, quoted, by: 'quote' })).toEqual([
      'parent_dated_after_reply',
    ]);
    // An Outlook block that names the sender without an address: the name, the time and the words still agree.
    const named = parentByQuote({
      reply: skewed,
      quoted: {
        ...quoted,
        from: { name: 'Porter, J' },
        date: 'Thursday, March 16, 2000 8:39 AM',
        dateMs: Date.UTC(2000, 2, 16, 8, 39),
      },
      bySubject: bySubject(
        message({ ...parent, from: [{ name: 'J Porter', address: 'jporte1@columbiaenergygroup.com' }] }),
      ),
      ownText,
    });
    expect(named?.parent.contentId).toBe(3);
    // Another sender's name: not this message, whatever the time says.
    const other = parentByQuote({
      reply: skewed,
      quoted: { ...quoted, from: { name: 'Goodell, Scott' } },
      bySubject: bySubject(parent),
      ownText,
    });
    expect(other).toBeNull();
    // The same, but the quoted time is 40 minutes off: no longer exact, so the later date rules it out.
    const loose = parentByQuote({
      reply: skewed,
      quoted: { ...quoted, dateMs: Date.UTC(2000, 2, 16, 8, 0) },
      bySubject: bySubject(parent),
      ownText,
    });
    expect(loose).toBeNull();
  });

  it('reads a quoted time as a zone offset between UTC-12 and UTC+14, not any whole number of hours', () => {
    // Outlook block: "Jones, Pat" at 12:32 PM wall-clock (UTC-6: 18:32Z). Her text is not stored (an attachment only),
    // so only the sender, the subject and the time can say which of her messages it is.
    const quoted = {
      from: { name: 'Jones, Pat' },
      date: 'Tuesday, May 7, 2024 12:32 PM',
      dateMs: Date.UTC(2024, 4, 7, 12, 32),
      subject: 'FW: Lease',
      to: 'Ruiz, Ana',
      cc: null,
      introducedBy: 'header' as const,
      forwarded: false,
      text: 'Shall we hold the payment until the letter is signed?',
    };
    const replyToPat = message({
      contentId: 9,
      to: [{ address: 'pat.jones@firm.test' }],
      subject: 'RE: FW: Lease',
      date: Date.UTC(2024, 4, 7, 19, 0),
      inSent: true,
    });
    const pat = [{ address: 'pat.jones@firm.test' }];
    const sameMessage = message({ contentId: 1, from: pat, subject: 'FW: Lease', date: Date.UTC(2024, 4, 7, 18, 32) });
    // Her message of the day before at 16:32Z: 20 hours off the quoted time, a whole number of hours but no zone's.
    const dayBefore = message({ contentId: 2, from: pat, subject: 'FW: Lease', date: Date.UTC(2024, 4, 6, 16, 32) });
    const ownText = () => 'When is the payment due?';
    const match = (m: DatasetMessage) => parentByQuote({ reply: replyToPat, quoted, bySubject: bySubject(m), ownText });
    expect(match(sameMessage)?.parent.contentId).toBe(1);
    expect(match(sameMessage)?.evidence).toContain('attribution date');
    expect(match(dayBefore)).toBeNull();
  });
});

describe('forwards, recipients and names', () => {
  const bob = { name: 'Bob Nau', address: 'rnau@mail.duke.edu' };
  const carried = {
    from: bob,
    date: null,
    dateMs: null,
    subject: 'Recommendation',
    to: null,
    cc: null,
    introducedBy: 'header' as const,
    forwarded: false,
    text: 'Do you have a letter of recommendation?',
  };

  it('drops a forward with a note to a third party, not one sent back to the carried message’s sender', () => {
    const toAssistant = message({
      contentId: 1,
      subject: 'FW: Recommendation',
      to: [{ address: 'shirley.crenshaw@enron.com' }],
    });
    const backToBob = message({ contentId: 2, subject: 'FW: Recommendation', to: [{ address: 'rnau@mail.duke.edu' }] });
    const reply = message({ contentId: 3, subject: 'RE: Recommendation', to: [{ address: 'rnau@mail.duke.edu' }] });
    const replyToForward = message({ contentId: 4, subject: 'RE: FW: Recommendation', to: [{ address: 'x@y.test' }] });
    expect(isForwardToThirdParty(toAssistant, carried)).toBe(true);
    expect(isForwardToThirdParty(backToBob, carried)).toBe(false);
    expect(isForwardToThirdParty(reply, carried)).toBe(false);
    expect(isForwardToThirdParty(replyToForward, carried)).toBe(false);
    expect(isForwardToThirdParty(message({ contentId: 5, subject: 'Wg: Termin' }), null)).toBe(true);
    // A forwarded block under a plain subject counts as well.
    expect(
      isForwardToThirdParty(message({ contentId: 6, subject: 'Recommendation', to: [{ address: 'a@b.test' }] }), {
        ...carried,
        forwarded: true,
      }),
    ).toBe(true);
  });

  it('reads a note sent only to people the carried message already reached as an answer, not a forward', () => {
    // Outlook header block: Bob wrote to Ana and Carl, copying Dee; the user is Ana.
    const toTeam = { ...carried, to: 'Ana Ruiz; Lind, Carl', cc: 'Dee Okafor <dee@firm.test>' };
    const ana = (p: { name?: string; address?: string }) => p.address === 'ana@firm.test' || p.name === 'Ana Ruiz';
    const toCarl = message({ contentId: 1, subject: 'FW: Recommendation', to: [{ address: 'carl.lind@firm.test' }] });
    const toCarlAndDee = message({
      contentId: 2,
      subject: 'FW: Recommendation',
      to: [{ address: 'carl.lind@firm.test' }],
      cc: [{ name: 'Dee Okafor', address: 'dee@firm.test' }, { address: 'ana@firm.test' }],
    });
    const alsoToNewcomer = message({
      contentId: 3,
      subject: 'FW: Recommendation',
      to: [{ address: 'carl.lind@firm.test' }, { address: 'eve@elsewhere.test' }],
    });
    const onlyToSelf = message({ contentId: 4, subject: 'FW: Recommendation', to: [{ address: 'ana@firm.test' }] });
    expect(isForwardToThirdParty(toCarl, toTeam, ana)).toBe(false);
    expect(isForwardToThirdParty(toCarlAndDee, toTeam, ana)).toBe(false);
    // Anyone the carried message did not reach makes it a forward; so does a block naming no recipients.
    expect(isForwardToThirdParty(alsoToNewcomer, toTeam, ana)).toBe(true);
    expect(isForwardToThirdParty(toCarl, carried, ana)).toBe(true);
    expect(isForwardToThirdParty(onlyToSelf, toTeam, ana)).toBe(true);
    // Notes writes recipients as "Carl Lind/Sales/Firm@Firm", comma-separated.
    expect(
      isForwardToThirdParty(toCarl, { ...carried, to: 'Ana Ruiz/HQ/Firm@Firm, Carl Lind/Sales/Firm@Firm' }, ana),
    ).toBe(false);
  });

  it('knows the forward marks of older mailers in the subject, and a reply to such a forward', () => {
    const third = { to: [{ address: 'x@y.test' }] };
    expect(isForwardToThirdParty(message({ contentId: 1, subject: '[Fwd: Recommendation]', ...third }), carried)).toBe(
      true,
    );
    expect(isForwardToThirdParty(message({ contentId: 2, subject: 'Recommendation (fwd)', ...third }), carried)).toBe(
      true,
    );
    expect(
      isForwardToThirdParty(message({ contentId: 3, subject: 'Re: Recommendation (fwd)', ...third }), carried),
    ).toBe(false);
    expect(
      isForwardToThirdParty(message({ contentId: 4, subject: 'Re: [Fwd: Recommendation]', ...third }), carried),
    ).toBe(false);
    // One thread whatever the mark: "[Fwd: x]", "x (fwd)", "FW: [Fwd: x]".
    for (const s of ['[Fwd: Site visit]', 'Site visit (fwd)', 'FW: FW: [Fwd: FW: Site visit]', 'Re: Site visit [fwd]'])
      expect(baseSubject(s)).toBe('site visit');
    // A bracket that is the whole subject is the subject, not a list tag; a list tag before a subject goes.
    expect(baseSubject('[Urgent]')).toBe('[urgent]');
    expect(baseSubject('Re: [dev] Site visit')).toBe('site visit');
  });

  it('matches names across Outlook, Notes and directory addresses, and not other people', () => {
    expect(nameMatches('Lu, Zimin', { address: 'zimin.lu@enron.com' })).toBe(true);
    expect(nameMatches('Tholt, Jane M.', { address: 'm..tholt@enron.com' })).toBe(true);
    expect(nameMatches('Hodge, Jeffrey T.', { address: 't..hodge@enron.com' })).toBe(true);
    expect(nameMatches('Schroeder Jr., Don', { name: 'Don Schroeder' })).toBe(true);
    expect(nameMatches('Tholt, Jane M.', { address: 'jane.smith@enron.com' })).toBe(false);
    expect(nameMatches('Lu, Zimin', { name: 'Zimin Chen', address: 'zimin.chen@enron.com' })).toBe(false);
    const reply = { to: [{ address: 'zimin.lu@enron.com' }], cc: [] };
    expect(addressedTo(reply, { name: 'Lu, Zimin' })).toBe(true);
    expect(addressedTo(reply, { name: 'Issler, Paulo' })).toBe(false);
    expect(peopleFromField('Issler, Paulo; Lee, Bob')).toEqual([{ name: 'Issler, Paulo' }, { name: 'Lee, Bob' }]);
    expect(peopleFromField('Chris Germany/HOU/ECT@ECT, "Goodell, Scott" <BLOCK@columbiaenergygroup.com>')).toEqual([
      { name: 'Chris Germany' },
      { name: 'Goodell, Scott', address: 'block@columbiaenergygroup.com' },
    ]);
  });

  it('warns when a reply goes to neither the parent’s sender nor its other recipients (the user not counted)', () => {
    const me = { address: 'anna@example.test' };
    const parent = message({
      contentId: 1,
      from: [{ address: 'ann@example.test' }],
      to: [me, { name: 'Gay, Randall L.' }],
    });
    const isUser = (p: { address?: string }) => p.address === me.address;
    const check = (to: { name?: string; address?: string }[]) =>
      pairWarnings({
        reply: message({ contentId: 2, to }),
        parent,
        parentText: 'x',
        quoted: null,
        by: 'headers',
        isUser,
      });
    expect(check([{ address: 'bob@example.test' }])).toEqual(['not_addressed_to_parent_sender']);
    expect(check([{ address: 'ann@example.test' }])).toEqual([]);
    // Answering the thread's other participant is normal; copying oneself is not "addressing the thread".
    expect(check([{ address: 'l..gay@example.test' }, { address: 'randall.gay@example.test' }])).toEqual([]);
    expect(check([me, { address: 'bob@example.test' }])).toEqual(['not_addressed_to_parent_sender']);
  });
});

describe('the user in quoted blocks', () => {
  it('knows the user by address, display name, or a name their address spells; an occasional delegate is not the user', () => {
    const sent = [
      ...Array.from({ length: 200 }, () => ({
        inSent: true,
        from: [{ name: 'Kay Mann', address: 'kay.mann@enron.com' }],
      })),
      ...Array.from({ length: 3 }, () => ({ inSent: true, from: [{ address: 'ina.rangel@enron.com' }] })),
    ];
    const identity = userIdentity(['kay.mann@enron.com'], sent);
    expect(isUser({ address: 'Kay.Mann@enron.com' }, identity)).toBe(true);
    expect(isUser({ name: 'Mann, Kay' }, identity)).toBe(true);
    expect(isUser({ name: 'Kay Mann' }, identity)).toBe(true);
    expect(isUser({ name: 'Rangel, Ina' }, identity)).toBe(false);
    expect(isUser({ address: 'ina.rangel@enron.com' }, identity)).toBe(false);
    expect(isUser({ name: 'Mann, Kay', address: 'kay@elsewhere.example' }, identity)).toBe(false);
  });
});

describe('quote-less replies and copies', () => {
  it('pairs a quote-less "Re:" reply with the latest message of the thread from its addressee, before it', () => {
    const t0 = Date.UTC(2001, 11, 14, 15, 0);
    const first = message({
      contentId: 1,
      from: [{ address: 'suzanne.adams@enron.com' }],
      subject: 'Opinions',
      date: t0,
    });
    const second = message({
      contentId: 2,
      from: [{ address: 'suzanne.adams@enron.com' }],
      subject: 'RE: Opinions',
      date: t0 + HOUR / 2,
    });
    const later = message({
      contentId: 3,
      from: [{ address: 'suzanne.adams@enron.com' }],
      subject: 'RE: Opinions',
      date: t0 + 2 * HOUR,
    });
    const other = message({
      contentId: 4,
      from: [{ address: 'someone@enron.com' }],
      subject: 'RE: Opinions',
      date: t0 + HOUR / 2 + 60_000,
    });
    const reply = message({
      contentId: 9,
      to: [{ address: 'suzanne.adams@enron.com' }],
      subject: 'RE: Opinions',
      date: t0 + HOUR,
      inSent: true,
    });
    expect(parentBySubject(reply, bySubject(first, second, later, other))?.parent.contentId).toBe(2);
    expect(parentBySubject({ ...reply, subject: 'Opinions' }, bySubject(first, second, later, other))).toBeNull();
    expect(parentBySubject({ ...reply, to: [{ address: 'x@enron.com' }] }, bySubject(first, second))).toBeNull();
  });

  it('never takes the answer to a quote-less reply for its parent, nor pairs a follow-up to the user’s own message', () => {
    const t0 = Date.UTC(2024, 4, 6, 9, 0);
    const sam = { name: 'Sam Ortiz', address: 'sam@office.test' };
    const question = message({ contentId: 1, from: [sam], subject: 'Room booking', date: t0 });
    // Sam's answer to the reply arrives 40 seconds after it: a message dated after the reply is not its parent.
    const answer = message({ contentId: 2, from: [sam], subject: 'RE: Room booking', date: t0 + HOUR + 40_000 });
    const reply = message({ contentId: 9, to: [sam], subject: 'Re: Room booking', date: t0 + HOUR, inSent: true });
    expect(parentBySubject(reply, bySubject(question, answer))?.parent.contentId).toBe(1);
    expect(parentBySubject(reply, bySubject(answer))).toBeNull();
    // The user already answered the question at t0 + 30 min: a second quote-less note an hour later follows up on
    // the user's own message and answers nothing stored. A note of the user to someone else in between does not count.
    const earlier = message({
      contentId: 7,
      to: [sam],
      subject: 'Re: Room booking',
      date: t0 + HOUR / 2,
      inSent: true,
    });
    const toOther = message({
      contentId: 8,
      to: [{ address: 'kim@office.test' }],
      subject: 'Re: Room booking',
      date: t0 + HOUR / 2,
      inSent: true,
    });
    expect(parentBySubject(reply, bySubject(question), bySubject(earlier))).toBeNull();
    expect(parentBySubject(reply, bySubject(question), bySubject(toOther, reply))?.parent.contentId).toBe(1);
  });

  it('makes one example of copies of a reply with other Message-IDs and dates hours apart', () => {
    const text = 'May 30 sounds good. I shall inform our HR department.';
    const result = dedupeReplies([
      { key: '<a>', text, date: 10 * HOUR, parentKey: 'message:jinbaek:dr. kaminski', thread: 'schedule and more..' },
      { key: '<b>', text, date: 0, parentKey: 'message:jinbaek:dr. kaminski', thread: 'schedule and more..' },
      { key: '<c>', text: 'Thanks!', date: 0, parentKey: 'message:x:5', thread: 'lunch' },
      { key: '<d>', text: 'Thanks!', date: 30 * 86_400_000, parentKey: 'message:x:6', thread: 'lunch' },
    ]);
    expect([...result.keep].sort()).toEqual(['<b>', '<c>', '<d>']);
    expect(result.dropped.get('<a>')).toBe('duplicate');
    expect(result.duplicateOf.get('<a>')).toBe('<b>');
  });

  it('never merges the same words answering different people or different messages', () => {
    const text = 'Yes, see you there.';
    const meeting = (n: number, date: number) => ({
      key: `<mout${n}>`,
      text,
      date,
      parentKey: `message:p${n}@other${n}.test:meeting on friday?`,
      recipients: [`p${n}@other${n}.test`],
      thread: 'meeting',
    });
    // Sent within a minute of each other, in one "thread" by subject: still three replies.
    const result = dedupeReplies([meeting(1, 0), meeting(2, 20_000), meeting(3, 40_000)]);
    expect([...result.keep].sort()).toEqual(['<mout1>', '<mout2>', '<mout3>']);
    expect(result.dropped.size).toBe(0);
    // Parent unknown: the same recipients and thread within three days are copies, other recipients are not.
    const unknown = dedupeReplies([
      { ...meeting(1, 0), parentKey: '' },
      { ...meeting(1, 9 * HOUR), key: '<copy>', parentKey: '' },
      { ...meeting(2, HOUR), parentKey: '' },
      { ...meeting(1, 5 * 86_400_000), key: '<later>', parentKey: '' },
    ]);
    expect([...unknown.keep].sort()).toEqual(['<later>', '<mout1>', '<mout2>']);
    expect(unknown.duplicateOf.get('<copy>')).toBe('<mout1>');
    // Parent known: the same answer to the same sender's same question is a copy only in the same thread within
    // three days; asked again weeks later, or in another thread, it is another example.
    const again = dedupeReplies([
      meeting(1, 0),
      { ...meeting(1, 6 * HOUR), key: '<copy-of-1>' },
      { ...meeting(1, 21 * 86_400_000), key: '<weeks-later>' },
      { ...meeting(1, HOUR), key: '<other-thread>', thread: 'meeting next month' },
    ]);
    expect([...again.keep].sort()).toEqual(['<mout1>', '<other-thread>', '<weeks-later>']);
    expect(again.duplicateOf.get('<copy-of-1>')).toBe('<mout1>');
  });

  it('drops a long template only after its few kept copies, and never a short stock reply to many people', () => {
    const template = 'Thank you for your application. We will review it and get back to you within 10 working days.';
    const items = [1, 2, 3, 4, 5].map((n) => ({
      key: `<t${n}>`,
      text: template.replace('10', String(n + 5)),
      date: n * 86_400_000,
      parentKey: `message:applicant${n}:cv`,
      recipients: [`applicant${n}@x.test`],
      thread: 'application',
    }));
    const stock = [1, 2, 3, 4, 5].map((n) => ({
      key: `<s${n}>`,
      text: 'Thanks, will do!',
      date: n * HOUR,
      parentKey: `message:colleague${n}:request`,
      recipients: [`colleague${n}@x.test`],
      thread: `request ${n}`,
    }));
    const result = dedupeReplies([...items, ...stock], 3);
    expect([...result.dropped.entries()].sort()).toEqual([
      ['<t4>', 'template'],
      ['<t5>', 'template'],
    ]);
    expect(stock.every((s) => result.keep.has(s.key))).toBe(true);
  });
});
