// Drafting end to end against Dovecot with the tiny model trained on a persona: triage, one
// threaded draft per message that deserves one, idempotence, crash and connection-drop safety,
// drafts the user touched left alone, stale drafts replaced, feedback, and bad input.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';
import { personaThreads, seedPersonaMailbox } from '../helpers/persona.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';
import { personaTrainSection, sharedPersonaVersion } from '../helpers/trained-version.js';

const server = inject('dovecot');
const DAY = 86_400_000;

interface DraftOnServer {
  uid: number;
  flags: string[];
  raw: Buffer;
}

/** The Drafts mailbox as a fresh connection sees it (a long-lived one may not have noticed new mail). */
async function draftsOnServer(account: TestAccount): Promise<DraftOnServer[]> {
  const out: DraftOnServer[] = [];
  const client = await account.client();
  const lock = await client.getMailboxLock('Drafts');
  try {
    // SEARCH, not the cached EXISTS count: this connection may have had the mailbox selected
    // before the CLI appended to it.
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    if (uids.length) {
      for await (const m of client.fetch(uids.join(','), { uid: true, flags: true, source: true }, { uid: true }))
        out.push({ uid: m.uid, flags: [...(m.flags ?? [])], raw: m.source as Buffer });
    }
  } finally {
    lock.release();
    await client.logout();
  }
  return out;
}

describe('understudy draft', () => {
  let account: TestAccount;
  let me: string;
  let myAddress: string;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['--config', account.configFile, ...args], env, 900_000);
  const now = Date.now();
  const newMail: { id: string; lang: 'nl' | 'en'; first: string; raw: string }[] = [];

  beforeAll(async () => {
    account = newAccount(server, {
      top: `${personaTrainSection()}[drafts]\ntemperature = 0\nmax_age_days = 10\nquote_original = true\nsignature = ""\nmax_new_tokens = 60\n`,
    });
    myAddress = `${account.user}@example.test`;
    const client = await account.client();
    ({ me } = await seedPersonaMailbox(client, myAddress, 96));
    await client.logout();
    expect((await cli(['sync', '--quiet'])).code).toBe(0);
    // A promoted version trained on this persona: trained here by `understudy train`, or the copy
    // of the one another test file trained on the same mailbox in this run (train.test.ts checks
    // the learning itself).
    await sharedPersonaVersion(account, personaTrainSection(), 'persona-96');
  }, 1_200_000);

  it('writes one threaded draft per message that deserves one, in the persona’s voice, and none for the rest', async () => {
    // New mail from the persona's correspondents, like the mail Anna answered before.
    const persona = personaThreads(me, 104, now - 103 * DAY - 3_600_000);
    for (const i of [96, 97, 102, 103]) {
      const t = persona[i]!;
      newMail.push({
        id: `<persona-${i}@${t.language}.example>`,
        lang: t.language,
        first: t.firstName,
        raw: t.incomingRaw,
      });
    }
    const junk = [
      buildMessage({
        from: 'Weekly <news@lists.example>',
        to: me,
        subject: 'News',
        body: 'Ten links',
        headers: { 'List-Unsubscribe': '<mailto:u@lists.example>' },
        date: new Date(now),
      }),
      buildMessage({
        from: 'Bob <bob@partner.example>',
        to: me,
        subject: 'Out of Office: Schedule',
        body: 'I am out of the office until Monday.',
        headers: { 'Auto-Submitted': 'auto-replied' },
        date: new Date(now),
      }),
      buildMessage({
        from: me,
        to: 'x@partner.example',
        subject: 'Note to self',
        body: 'Remember the milk.',
        date: new Date(now),
      }),
      buildMessage({
        from: 'Carol <carol@partner.example>',
        to: 'dave@partner.example',
        headers: { Cc: me },
        subject: 'FYI',
        body: 'Dave, can you look at this?',
        date: new Date(now),
      }),
      buildMessage({
        from: 'Old <old@partner.example>',
        to: me,
        subject: 'Old question',
        body: 'Did you see this?',
        date: new Date(now - 20 * DAY),
      }),
      buildMessage({
        from: 'Service <no-reply@service.example>',
        to: me,
        subject: 'Your receipt',
        body: 'Thanks for your order.',
        date: new Date(now),
      }),
      buildMessage({
        from: 'Ann <ann@partner.example>',
        to: me,
        subject: 'Answered already',
        messageId: '<answered@x.example>',
        body: 'Can you call me?',
        date: new Date(now - 7200_000),
      }),
      // Bad input: no From, no Message-ID, a huge body, hostile HTML.
      buildMessage({ to: me, subject: 'No sender', body: 'Who am I?', date: new Date(now) }).replace(
        /^From: .*\r\n/m,
        '',
      ),
      buildMessage({
        from: 'Nemo <nemo@partner.example>',
        to: me,
        subject: 'No id',
        body: 'No Message-ID here.',
        date: new Date(now),
      }).replace(/^Message-ID: .*\r\n/m, ''),
      buildMessage({
        from: 'Huge <huge@partner.example>',
        to: me,
        subject: 'Huge',
        body: `${'All work and no play makes Jack a dull boy. '.repeat(60_000)}\r\n`,
        headers: { 'Auto-Submitted': 'auto-generated' },
        date: new Date(now),
      }),
      buildMessage({
        from: 'Evil <evil@partner.example>',
        to: me,
        subject: 'Hostile',
        html: `<script>alert(1)</script>${'<div>'.repeat(40_000)}`,
        htmlOnly: true,
        headers: { Precedence: 'bulk' },
        date: new Date(now),
      }),
    ];
    const client = await account.client();
    await appendMessages(client, 'INBOX', [...newMail.map((m) => m.raw), ...junk], []);
    await appendMessages(client, 'Sent', [
      buildMessage({
        from: me,
        to: 'ann@partner.example',
        subject: 'Re: Answered already',
        inReplyTo: '<answered@x.example>',
        body: 'Calling you now.',
        date: new Date(now - 3600_000),
      }),
    ]);

    const dry = await cli(['draft', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/4 drafts would be written/);
    expect((await draftsOnServer(account)).length).toBe(0);

    const run = await cli(['draft', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout).accounts[0];
    const reasons = Object.fromEntries(
      result.decisions
        .filter((d: { action: string }) => d.action === 'skip')
        .map((d: { subject: string; reason: string }) => [d.subject, d.reason]),
    );
    console.log(`skipped: ${JSON.stringify(reasons)}; refused: ${JSON.stringify(result.failed)}`);
    expect(reasons).toMatchObject({
      News: 'bulk',
      'Out of Office: Schedule': 'auto_reply',
      'Note to self': 'from_me',
      FYI: 'cc_only',
      'Your receipt': 'no_reply_sender',
      'Answered already': 'answered',
      'No sender': 'no_sender',
      'No id': 'no_message_id',
      Huge: 'auto_reply',
      Hostile: 'bulk',
    });
    expect(result.drafted, JSON.stringify({ decisions: result.decisions, failed: result.failed })).toHaveLength(4);

    const drafts = await draftsOnServer(account);
    await client.logout();
    expect(drafts).toHaveLength(4);
    let inVoice = 0;
    for (const d of drafts) {
      const parsed = await simpleParser(d.raw);
      const parent = newMail.find((m) => m.id === parsed.inReplyTo);
      expect(parent, `draft threads under a new message: ${parsed.inReplyTo}`).toBeDefined();
      expect(d.flags).toEqual(expect.arrayContaining(['\\Draft', '\\Seen']));
      expect([parsed.references].flat()).toContain(parent?.id);
      expect(parsed.subject).toMatch(/^Re: (Vraag|Question) \d+$/);
      expect(parsed.from?.value[0]?.address).toBe(myAddress);
      expect(parsed.to && 'value' in parsed.to ? parsed.to.value[0]?.address : '').toMatch(
        new RegExp(`^${parent?.first.toLowerCase()}@`),
      );
      expect(parsed.headers.get('x-understudy-draft')).toBeTruthy();
      expect(typeof parsed.html).toBe('string');
      const text = parsed.text ?? '';
      const greeting = parent?.lang === 'nl' ? /^Hoi \w+,/ : /^Hi \w+,/;
      const closing = parent?.lang === 'nl' ? /Groetjes,\nAnna/ : /Cheers,\nAnna/;
      if (greeting.test(text) && closing.test(text)) inVoice++;
      console.log(
        `draft for ${parent?.first} (${parent?.lang}): ${JSON.stringify(text.split('\n\nOn ')[0]?.split('\n\nOp ')[0])}`,
      );
    }
    expect(inVoice).toBe(4);
  });

  it('is idempotent: a second run writes nothing new', async () => {
    const again = JSON.parse((await cli(['draft', '--json'])).stdout).accounts[0];
    expect(again.drafted).toHaveLength(0);
    const client = await account.client();
    expect((await draftsOnServer(account)).length).toBe(4);
    await client.logout();
  });

  it('a kill between APPEND and the journal, or a dropped connection there, still leaves exactly one draft', async () => {
    const client = await account.client();
    for (const [i, fault] of ['after-append', 'after-append-drop'].entries()) {
      const id = `<crash-${i}@en.example>`;
      await appendMessages(
        client,
        'INBOX',
        [
          buildMessage({
            from: 'Olivia Hughes <olivia@partner.example>',
            to: me,
            subject: `Question ${200 + i}`,
            messageId: id,
            body: 'Hi Anna,\r\n\r\nWould you read through the contracts once more?\r\n\r\nThanks,\r\nOlivia',
            date: new Date(),
          }),
        ],
        [],
      );
      const crashed = await cli(['draft'], { UNDERSTUDY_FAULT: fault });
      expect(crashed.code).not.toBe(0);
      const rerun = await cli(['draft', '--json']);
      expect(rerun.code, rerun.stderr).toBe(0);
      const r = JSON.parse(rerun.stdout).accounts[0];
      expect(r.recovered).toBe(1);
      expect(r.drafted).toHaveLength(0);
      const forThis = [];
      for (const d of await draftsOnServer(account))
        if ((await simpleParser(d.raw)).inReplyTo === id) forThis.push(d.uid);
      expect(forThis, `${fault}: exactly one draft`).toHaveLength(1);
      console.log(
        `${fault}: run exited ${crashed.code}; rerun recovered the journal entry; drafts for the message: ${forThis.length}`,
      );
    }
    await client.logout();
  });

  it('never touches a draft the user edited; replaces an untouched stale one without leaving zero or two', async () => {
    const client = await account.client();
    const drafts = await draftsOnServer(account);
    const parsed = await Promise.all(drafts.map(async (d) => ({ d, p: await simpleParser(d.raw) })));
    const tomDraft = parsed.find((x) => x.p.inReplyTo === '<persona-102@en.example>');
    const emmaDraft = parsed.find((x) => x.p.inReplyTo === '<persona-103@en.example>');
    expect(tomDraft && emmaDraft).toBeTruthy();
    // The user edits Tom's draft: the client saves a new message and deletes the old one.
    const edited = tomDraft!.d.raw.toString('utf8').replace(/^Hi /m, 'Hello there, ');
    await appendMessages(client, 'Drafts', [edited], ['\\Draft', '\\Seen']);
    const lock = await client.getMailboxLock('Drafts');
    await client.messageDelete(String(tomDraft!.d.uid), { uid: true });
    lock.release();
    // New messages arrive in both threads.
    for (const [first, parentId] of [
      ['Tom', '<persona-102@en.example>'],
      ['Emma', '<persona-103@en.example>'],
    ] as const) {
      await appendMessages(
        client,
        'INBOX',
        [
          buildMessage({
            from: `${first} X <${first.toLowerCase()}@partner.example>`,
            to: me,
            subject: 'Re: Question',
            inReplyTo: parentId,
            references: parentId,
            messageId: `<followup-${first}@en.example>`,
            body: `Hi Anna,\r\n\r\nCould you have a look at last month’s invoice?\r\n\r\nThanks,\r\n${first}`,
            date: new Date(),
          }),
        ],
        [],
      );
    }
    const run = JSON.parse((await cli(['draft', '--json'])).stdout).accounts[0];
    const decision = (s: string) => run.decisions.find((d: { from: string }) => d.from.startsWith(s));
    expect(decision('tom').reason).toBe('draft_exists');
    expect(decision('emma').action).toBe('draft');
    expect(run.drafted.find((d: { to: string }) => d.to.startsWith('emma')).replaced).toBe(1);
    const after = await Promise.all(
      (await draftsOnServer(account)).map(async (d) => ({ d, p: await simpleParser(d.raw) })),
    );
    // Tom's thread: the user's edited draft, untouched. Emma's thread: exactly one draft, the new one.
    const tomThread = after.filter(
      (x) =>
        [x.p.references].flat().includes('<persona-102@en.example>') || x.p.inReplyTo === '<persona-102@en.example>',
    );
    expect(tomThread).toHaveLength(1);
    expect(tomThread[0]!.d.raw.toString('utf8')).toContain('Hello there, ');
    const emmaThread = after.filter(
      (x) =>
        [x.p.references].flat().includes('<persona-103@en.example>') || x.p.inReplyTo === '<persona-103@en.example>',
    );
    expect(emmaThread).toHaveLength(1);
    expect(emmaThread[0]!.p.inReplyTo).toBe('<followup-Emma@en.example>');
    await client.logout();
  });

  it('records feedback: a reply that keeps the draft, and a draft deleted without a reply', async () => {
    const client = await account.client();
    const all = await Promise.all(
      (await draftsOnServer(account)).map(async (d) => ({ d, p: await simpleParser(d.raw) })),
    );
    const pieter = all.find((x) => x.p.inReplyTo === '<persona-96@nl.example>')!;
    const sanne = all.find((x) => x.p.inReplyTo === '<persona-97@nl.example>')!;
    // Pieter's draft is sent as written (the client sends it and removes the draft);
    // Sanne's draft is deleted without a reply.
    const written = (pieter.p.text ?? '').split(/\n\nOp /)[0] ?? '';
    expect(written).toMatch(/^Hoi Pieter,/);
    await appendMessages(client, 'Sent', [
      buildMessage({
        from: me,
        to: 'pieter@klant.example',
        subject: 'Re: Vraag 96',
        inReplyTo: '<persona-96@nl.example>',
        references: '<persona-96@nl.example>',
        body: written.replace(/\n/g, '\r\n'),
        date: new Date(),
      }),
    ]);
    const lock = await client.getMailboxLock('Drafts');
    await client.messageDelete(`${pieter.d.uid},${sanne.d.uid}`, { uid: true });
    lock.release();
    await client.logout();
    const run = JSON.parse((await cli(['draft', '--json'])).stdout).accounts[0];
    expect(run.feedback).toEqual({ sent: 1, discarded: 1 });
    const status = await cli(['status']);
    expect(status.stdout).toMatch(
      /drafts: \d+ written .* 1 sent as written, 0 lightly edited, 0 rewritten, 1 discarded/,
    );
    console.log(
      status.stdout
        .split('\n')
        .filter((l) => l.startsWith('drafts') || l.startsWith('model'))
        .join('\n'),
    );
  });

  it('exports the promoted version as GGUF for Ollama / LM Studio / llama.cpp', async () => {
    const out = join(account.dir, 'anna.gguf');
    const exported = await cli(['model', 'export', '--gguf', out, '--precision', 'q8_0']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/wrote .*anna\.gguf: version 1, q8_0/);
    const head = readFileSync(out).subarray(0, 8);
    expect(head.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(head.readUInt32LE(4)).toBe(3); // GGUF version 3
    const bad = await cli(['model', 'export', '--gguf', out, '--precision', 'q4']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--precision q4 is not one of f16, q8_0, f32/);
    const missing = await cli(['model', 'export', '99', '--gguf', out]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/there is no version 99/);
  });

  it('refuses garbage from a model instead of writing it (cold start with an untrained model)', async () => {
    const garbage = newAccount(server, {
      top: `[train]\nbase_model = "${tinyModel({ seed: 7 })}"\npython = "${TEST_PYTHON}"\n[drafts]\nmax_new_tokens = 40\n`,
    });
    const client = await garbage.client();
    await appendMessages(
      client,
      'INBOX',
      [
        buildMessage({
          from: 'Tom X <tom@partner.example>',
          to: `Anna <${garbage.user}@example.test>`,
          subject: 'Hello',
          body: 'Hi Anna,\r\n\r\nAre you free on Friday?\r\n\r\nTom',
          date: new Date(),
        }),
      ],
      [],
    );
    const r = await runCli(['--config', garbage.configFile, 'draft', '--json'], {}, 300_000);
    const result = JSON.parse(r.stdout).accounts[0];
    console.log(
      `garbage model wrote: ${JSON.stringify(result.drafted.map((d: { text: string }) => d.text))}; refused: ${JSON.stringify(result.failed)}`,
    );
    expect(result.drafted).toHaveLength(0);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].reason).toMatch(/^(degenerate|empty|echo|garbage)/);
    expect((await draftsOnServer(garbage)).length).toBe(0);
    await client.logout();
    console.log(`garbage model: refused (${result.failed[0].reason}), exit ${r.code}`);
  });
});

describe('never sends', () => {
  it('no nodemailer transport is created anywhere in src/ or daemon/', () => {
    const root = resolve(import.meta.dirname, '../..');
    const r = spawnSync('grep', ['-rnE', 'createTransport|sendMail\\(|smtp', join(root, 'src'), join(root, 'daemon')], {
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('');
    expect(readFileSync(join(root, 'src/drafts/compose.ts'), 'utf8')).toContain("from 'nodemailer/lib/mail-composer'");
  });
});
