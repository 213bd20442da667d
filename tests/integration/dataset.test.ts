// Dataset build against a real Dovecot: threads in several languages and client styles are
// synced, paired, cleaned and exported; nothing quoted leaks into a reply; junk, duplicates and
// unreadable messages are dropped with a reason; rebuilding only cleans what changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');

interface Thread {
  id: string;
  subject: string;
  from: string;
  incoming: string;
  reply: (quoteBlock: string) => string;
  quote: (incoming: string) => string;
  expectedReply: RegExp;
  headers?: boolean;
}

const SIG = '-- \r\nAnna de Vries\r\nSenior Consultant, Acme BV\r\n+31 20 123 4567 | www.acme.example\r\n';
const q = (text: string) =>
  text
    .split('\r\n')
    .map((l) => `> ${l}`)
    .join('\r\n');

const threads: Thread[] = [
  {
    id: 'en-gmail',
    subject: 'Project kickoff next week',
    from: 'Tom Baker <tom@partner.example>',
    incoming:
      'Hi Anna,\r\n\r\nCould we move the kickoff to Thursday at 10? The venue on Wednesday fell through.\r\n\r\nThanks,\r\nTom',
    quote: (t) => `On Mon, 8 Jan 2024 at 09:12, Tom Baker <tom@partner.example> wrote:\r\n${q(t)}`,
    reply: (qb) =>
      `Hi Tom,\r\n\r\nThursday at 10 works for me. I will update the invite.\r\n\r\nCheers,\r\nAnna\r\n\r\n${qb}\r\n`,
    expectedReply: /^Hi Tom,\n\nThursday at 10 works for me\. I will update the invite\.\n\nCheers,\nAnna$/,
  },
  {
    id: 'nl-outlook',
    subject: 'Offerte voor de website',
    from: 'Pieter Jansen <pieter@klant.example>',
    incoming:
      'Hoi Anna,\r\n\r\nKun je mij de offerte voor de nieuwe website vóór vrijdag sturen? Dan kan ik het intern bespreken.\r\n\r\nGroet,\r\nPieter',
    quote: (t) =>
      `-----Oorspronkelijk bericht-----\r\nVan: Pieter Jansen <pieter@klant.example>\r\nVerzonden: maandag 8 januari 2024 10:00\r\nAan: Anna de Vries <anna@example.test>\r\nOnderwerp: Offerte voor de website\r\n\r\n${t}`,
    reply: (qb) =>
      `Hoi Pieter,\r\n\r\nDe offerte komt donderdag jouw kant op.\r\n\r\nGroetjes,\r\nAnna\r\n\r\n${SIG}\r\n${qb}\r\n`,
    expectedReply: /^Hoi Pieter,\n\nDe offerte komt donderdag jouw kant op\.\n\nGroetjes,\nAnna$/,
  },
  {
    id: 'de-apple',
    subject: 'Termin im Februar',
    from: 'Jonas Weber <jonas@firma.example>',
    incoming:
      'Hallo Anna,\r\n\r\nhast du im Februar Zeit für einen Workshop in Berlin? Wir würden gern zwei Tage einplanen.\r\n\r\nViele Grüße\r\nJonas',
    quote: (t) => `Am 08.01.2024 um 11:30 schrieb Jonas Weber <jonas@firma.example>:\r\n\r\n${q(t)}`,
    reply: (qb) =>
      `Hallo Jonas,\r\n\r\nja, die zweite Februarwoche passt mir gut.\r\n\r\nViele Grüße\r\nAnna\r\n\r\nVon meinem iPhone gesendet\r\n\r\n${qb}\r\n`,
    expectedReply: /^Hallo Jonas,\n\nja, die zweite Februarwoche passt mir gut\.\n\nViele Grüße\nAnna$/,
  },
  {
    id: 'fr-thunderbird',
    subject: 'Facture de décembre',
    from: 'Claire Martin <claire@societe.example>',
    incoming:
      "Bonjour Anna,\r\n\r\nPourriez-vous m'envoyer la facture de décembre ? Notre comptable la réclame.\r\n\r\nCordialement,\r\nClaire",
    quote: (t) => `Le 08/01/2024 à 14:05, Claire Martin a écrit :\r\n${q(t)}`,
    reply: (qb) =>
      `Bonjour Claire,\r\n\r\nJe vous envoie la facture dès demain matin.\r\n\r\nBien à vous,\r\nAnna\r\n\r\n${qb}\r\n`,
    expectedReply: /^Bonjour Claire,\n\nJe vous envoie la facture dès demain matin\.\n\nBien à vous,\nAnna$/,
  },
  {
    id: 'es-gmail',
    subject: 'Reunión del lunes',
    from: 'Lucía García <lucia@empresa.example>',
    incoming:
      'Hola Anna,\r\n\r\n¿Podemos cambiar la reunión del lunes a las cuatro de la tarde?\r\n\r\nSaludos,\r\nLucía',
    quote: (t) => `El lun, 8 ene 2024 a las 16:20, Lucía García (<lucia@empresa.example>) escribió:\r\n${q(t)}`,
    reply: (qb) => `Hola Lucía,\r\n\r\nSí, a las cuatro me va perfecto.\r\n\r\nUn abrazo,\r\nAnna\r\n\r\n${qb}\r\n`,
    expectedReply: /^Hola Lucía,\n\nSí, a las cuatro me va perfecto\.\n\nUn abrazo,\nAnna$/,
  },
  {
    // Old Outlook: no In-Reply-To, the parent is found through the quoted original.
    id: 'en-outlook-noheaders',
    subject: 'Budget numbers',
    from: 'Sam Lee <sam@partner.example>',
    incoming: 'Anna,\r\n\r\nAttached are the Q4 budget numbers. Please check the travel line before Friday.\r\n\r\nSam',
    quote: (t) =>
      `-----Original Message-----\r\nFrom: Sam Lee [mailto:sam@partner.example]\r\nSent: Tuesday, January 09, 2024 8:15 AM\r\nTo: Anna de Vries\r\nSubject: Budget numbers\r\n\r\n${t}`,
    reply: (qb) =>
      `Sam,\r\n\r\nThe travel line looks too high, I will send corrections tomorrow.\r\n\r\nAnna\r\n\r\n${qb}\r\n`,
    expectedReply: /^Sam,\n\nThe travel line looks too high, I will send corrections tomorrow\.\n\nAnna$/,
    headers: false,
  },
];

describe('dataset build against Dovecot', () => {
  let account: TestAccount;
  const me = () => `Anna de Vries <${account.user}@example.test>`;
  const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args]);

  beforeAll(async () => {
    account = newAccount(server);
    const client = await account.client();
    const inbox: string[] = [];
    const sent: string[] = [];
    threads.forEach((t, i) => {
      const parentId = `<parent-${t.id}@example.test>`;
      const day = Date.UTC(2024, 0, 8 + i, 9, 0);
      inbox.push(
        buildMessage({
          from: t.from,
          to: me(),
          subject: t.subject,
          messageId: parentId,
          body: t.incoming,
          date: new Date(day),
        }),
      );
      sent.push(
        buildMessage({
          from: me(),
          to: t.from,
          subject: `Re: ${t.subject}`,
          messageId: `<reply-${t.id}@example.test>`,
          ...(t.headers === false ? {} : { inReplyTo: parentId, references: parentId }),
          body: t.reply(t.quote(t.incoming)),
          date: new Date(day + 3_600_000),
        }),
      );
    });
    // Junk and edge cases, each of which must be dropped with its reason.
    const newsletter = '<news-1@lists.example>';
    inbox.push(
      buildMessage({
        from: 'Weekly <news@lists.example>',
        subject: 'This week',
        messageId: newsletter,
        body: 'Ten links you will love.',
        headers: { 'List-Unsubscribe': '<mailto:unsub@lists.example>', 'List-Id': '<weekly.lists.example>' },
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Re: This week',
        inReplyTo: newsletter,
        body: 'Please remove me from this list.\r\n',
        date: new Date(Date.UTC(2024, 0, 20)),
      }),
    );
    const asked = '<ask-ooo@example.test>';
    inbox.push(
      buildMessage({
        from: 'Bob <bob@partner.example>',
        subject: 'Question',
        messageId: asked,
        body: 'Are you around tomorrow?',
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Automatic reply: Question',
        inReplyTo: asked,
        body: 'I am out of the office until Monday with limited access to email.\r\n',
        headers: { 'Auto-Submitted': 'auto-replied' },
        date: new Date(Date.UTC(2024, 0, 21)),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Re: Project kickoff next week',
        messageId: '<reply-copy@example.test>',
        inReplyTo: '<parent-en-gmail@example.test>',
        body: threads[0]!.reply(threads[0]!.quote(threads[0]!.incoming)),
        date: new Date(Date.UTC(2024, 0, 8, 10, 0, 30)),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Re: Question',
        inReplyTo: asked,
        body: `${threads[0]!.quote('Are you around tomorrow?')}\r\n`,
        date: new Date(Date.UTC(2024, 0, 22)),
      }),
    );
    // Binary garbage labelled as text (base64, so it survives IMAP APPEND, which forbids NUL).
    const garbage = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 32)).toString('base64');
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Re: Question',
        messageId: '<binary@example.test>',
        inReplyTo: asked,
        date: new Date(Date.UTC(2024, 0, 23)),
      })
        .replace('Content-Transfer-Encoding: 8bit', 'Content-Transfer-Encoding: base64')
        .replace(/\r\n\r\n[\s\S]*$/, `\r\n\r\n${garbage}\r\n`),
    );
    // An HTML bomb: 60,000 nested elements and megabytes of markup, with nothing to say.
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Re: Question',
        messageId: '<bomb@example.test>',
        inReplyTo: asked,
        html: `${'<div><span>'.repeat(60_000)}${'</span></div>'.repeat(60_000)}`,
        htmlOnly: true,
        date: new Date(Date.UTC(2024, 0, 24)),
      }),
    );
    sent.push(
      buildMessage({
        from: me(),
        subject: 'Lunch?',
        body: 'Anyone up for lunch on Friday?\r\n',
        date: new Date(Date.UTC(2024, 0, 25)),
      }),
    );
    await appendMessages(client, 'INBOX', inbox);
    await appendMessages(client, 'Sent', sent);
    await client.logout();
    const sync = await cli('sync', '--quiet');
    expect(sync.code, sync.stderr).toBe(0);
  });

  it('pairs every reply with the message it answers, in five languages and client styles', async () => {
    const build = await cli('dataset', 'build', '--json');
    expect(build.code, build.stderr).toBe(0);
    const summary = JSON.parse(build.stdout).accounts[0];
    console.log(`build summary: ${JSON.stringify(summary)}`);
    expect(summary.examples).toBe(threads.length);
    expect(summary.pairedByHeaders).toBe(threads.length - 1);
    expect(summary.pairedByQuote).toBe(1);

    const out = join(account.dir, 'dataset.jsonl');
    const exported = await cli('dataset', 'export', out, '--metadata');
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(threads.length);
    for (const t of threads) {
      const record = records.find((r) => r.messages[1].content.includes(`Subject: ${t.subject}`));
      expect(record, `example for ${t.id}`).toBeDefined();
      const [system, user, assistant] = record.messages;
      expect(system.role).toBe('system');
      expect(user.role).toBe('user');
      expect(assistant.role).toBe('assistant');
      // The incoming message is rendered with its sender and its cleaned text.
      expect(user.content).toContain(`From: ${t.from.replace(/<.*>/, '').trim()}`);
      expect(user.content).toContain(t.incoming.split('\r\n')[2]);
      // The reply is exactly what Anna wrote: sign-off kept, everything else gone.
      expect(assistant.content, t.id).toMatch(t.expectedReply);
    }
    const languages = Object.fromEntries(
      records.map((r) => [r.messages[1].content.match(/Subject: (.*)/)[1], r.metadata.language]),
    );
    expect(languages).toMatchObject({
      'Offerte voor de website': 'nl',
      'Termin im Februar': 'de',
      'Facture de décembre': 'fr',
      'Reunión del lunes': 'es',
      'Project kickoff next week': 'en',
    });
  });

  it('lets nothing quoted, attributed or signed leak into a reply', () => {
    const records = readFileSync(join(account.dir, 'dataset.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of records) {
      const reply: string = r.messages[2].content;
      for (const t of threads)
        for (const line of t.incoming.split('\r\n').filter((l) => l.length > 25)) expect(reply).not.toContain(line);
      expect(reply).not.toMatch(/^>/m);
      expect(reply).not.toMatch(/wrote:|schreef|schrieb|a écrit|escribió|Original Message|Oorspronkelijk/i);
      expect(reply).not.toMatch(/Senior Consultant|\+31 20|www\.acme|iPhone/);
    }
  });

  it('drops junk, duplicates and unreadable messages with a reason that stats shows', async () => {
    const stats = await cli('dataset', 'stats', '--json');
    expect(stats.code, stats.stderr).toBe(0);
    const s = JSON.parse(stats.stdout).accounts[0];
    console.log(`dropped: ${JSON.stringify(s.dropped)}; unreadable: ${JSON.stringify(s.unreadable)}`);
    expect(s.dropped).toMatchObject({
      junk_parent: 1,
      junk_reply: 1,
      duplicate: 1,
      quote_only: 1,
      unreadable: 1,
      not_a_reply: 1,
    });
    expect(s.unreadable[0].why).toMatch(/binary/);
    // The HTML bomb was read (within bounds) and dropped as an ordinary empty reply, not a crash.
    expect(s.dropped.empty_reply ?? 0).toBeGreaterThanOrEqual(1);
    expect(s.examples).toBe(threads.length);
    expect(s.languages).toMatchObject({ en: 2, nl: 1, de: 1, fr: 1, es: 1 });
    const human = await cli('dataset', 'stats');
    expect(human.stdout).toMatch(/answers an automatic, bulk or list message/);
  });

  it('dataset show puts each pair side by side with how its parent was found, as text and JSON', async () => {
    const human = await cli('dataset', 'show', '--sample', '3', '--seed', '7');
    expect(human.code, human.stderr).toBe(0);
    console.log(human.stdout);
    expect(human.stdout).toMatch(/^test: 3 of 6 pairs \(sample, seed 7\)/);
    expect(human.stdout.match(/INCOMING from /g)).toHaveLength(3);
    expect(human.stdout.match(/YOUR REPLY, /g)).toHaveLength(3);
    expect(human.stdout).toMatch(
      /parent: (In-Reply-To\/References|the stored message matching the first quoted message)/,
    );
    // The same seed shows the same pairs; JSON carries the same pairs with their evidence.
    expect((await cli('dataset', 'show', '--sample', '3', '--seed', '7')).stdout).toBe(human.stdout);
    const json = JSON.parse((await cli('dataset', 'show', '--sample', '0', '--json')).stdout);
    expect(json.total).toBe(threads.length);
    expect(json.pairs).toHaveLength(threads.length);
    const outlook = json.pairs.find(
      (p: { replyKey: string }) => p.replyKey === '<reply-en-outlook-noheaders@example.test>',
    );
    expect(outlook).toMatchObject({ pairedBy: 'quote', reconstructed: false, warnings: [] });
    expect(outlook.evidence).toEqual(expect.arrayContaining(['quoted text', 'attribution sender']));
    expect(outlook.incoming.body).toContain('Attached are the Q4 budget numbers');
    // Every reply here is addressed to its parent's sender: nothing is flagged.
    const flagged = await cli('dataset', 'show', '--flagged');
    expect(flagged.stdout).toMatch(/no pair has a warning/);
    const bad = await cli('dataset', 'show', '--sample', 'many');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--sample must be a whole number/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
    const help = await cli('dataset', 'show', '--help');
    expect(help.stdout).toMatch(/--flagged/);
  });

  it('rebuilds incrementally: unchanged → nothing to do; after new mail only the new messages are cleaned', async () => {
    const again = JSON.parse((await cli('dataset', 'build', '--json')).stdout).accounts[0];
    expect(again.upToDate).toBe(true);
    const client = await account.client();
    const parentId = '<parent-late@example.test>';
    await appendMessages(client, 'INBOX', [
      buildMessage({
        from: 'Tom Baker <tom@partner.example>',
        to: me(),
        subject: 'One more thing',
        messageId: parentId,
        body: 'Can you bring the projector?',
        date: new Date(Date.UTC(2024, 1, 1)),
      }),
    ]);
    await appendMessages(client, 'Sent', [
      buildMessage({
        from: me(),
        to: 'tom@partner.example',
        subject: 'Re: One more thing',
        inReplyTo: parentId,
        body: 'Sure, I will bring it.\r\n\r\nAnna\r\n',
        date: new Date(Date.UTC(2024, 1, 1, 12)),
      }),
    ]);
    await client.logout();
    expect((await cli('sync', '--quiet')).code).toBe(0);
    const rebuilt = JSON.parse((await cli('dataset', 'build', '--json')).stdout).accounts[0];
    expect(rebuilt.upToDate).toBe(false);
    expect(rebuilt.examples).toBe(threads.length + 1);
    // One new sent message and its parent; everything else came from the cache.
    expect(rebuilt.cleaned).toBe(2);
    expect(rebuilt.eval).toBeGreaterThanOrEqual(1);
    console.log(
      `incremental rebuild: ${rebuilt.cleaned} cleaned, ${rebuilt.examples} examples (${rebuilt.train} train / ${rebuilt.eval} eval)`,
    );
  });

  it('understudy mail reply-text prints the author’s text of an .eml', async () => {
    const file = join(account.dir, 'reply.eml');
    const t = threads[1]!;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, buildMessage({ from: me(), subject: 'Re: x', body: t.reply(t.quote(t.incoming)) }));
    const plain = await runCli(['mail', 'reply-text', file]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim()).toMatch(t.expectedReply);
    const kept = await runCli(['mail', 'reply-text', '--keep-signature', file]);
    expect(kept.stdout).toContain('Senior Consultant, Acme BV');
    expect(kept.stdout).not.toContain('Oorspronkelijk bericht');
  });
});
