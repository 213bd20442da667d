// Draft safety against Dovecot, with the real run (triage, compose, journal, APPEND, retire,
// feedback) and a fixed generator in place of the model: identity (two messages with one
// Message-ID), drafts the user touched (flags, keywords, a move after Drafts was recreated, an
// edit by a client that drops our header, a deletion), sent replies found whichever way the
// client sends, refusals recorded once, and `draft` before any model exists.
import { describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';
import { journal, runStub, serverDrafts, storeExec, userDelete, userFlags } from '../helpers/outbox.js';

const server = inject('dovecot');
const DRAFTS = '[drafts]\nquote_original = true\nmax_age_days = 10\nsignature = ""\n';

function freshAccount(extra: { account?: string; top?: string } = {}): { account: TestAccount; me: string } {
  const account = newAccount(server, {
    top: `${DRAFTS}${extra.top ?? ''}`,
    ...(extra.account ? { account: extra.account } : {}),
  });
  return { account, me: `Anna <${account.user}@example.test>` };
}

function question(
  me: string,
  who: string,
  id: string,
  text: string,
  extra: Partial<Parameters<typeof buildMessage>[0]> = {},
) {
  const first = who.split(' ')[0] ?? who;
  return buildMessage({
    from: `${who} <${first.toLowerCase()}@partner.example>`,
    to: me,
    subject: extra.subject ?? `Question from ${first}`,
    messageId: id,
    body: `Hi Anna,\r\n\r\n${text}\r\n\r\nThanks,\r\n${first}\r\n`,
    date: new Date(),
    ...extra,
  });
}

function uidValidityOf(status: false | { uidValidity?: bigint }): bigint | undefined {
  return status ? status.uidValidity : undefined;
}

async function put(account: TestAccount, mailbox: string, raws: string[], flags: string[] = []): Promise<number[]> {
  const client = await account.client();
  try {
    return await appendMessages(client, mailbox, raws, flags);
  } finally {
    await client.logout();
  }
}

describe('draft safety (Dovecot, fixed generator)', () => {
  it('two different messages with one Message-ID: two drafts, each to its own sender quoting its own message', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [
      question(me, 'Pieter Smit', '<same@webmail.example>', 'Could you check invoice 2024-031 before Friday?', {
        subject: 'Invoice 2024-031',
      }),
      question(me, 'Sara Jansen', '<same@webmail.example>', 'Do you still have two seats in the workshop?', {
        subject: 'Workshop',
      }),
    ]);
    const run = await runStub(account);
    expect(run.code, run.stderr).toBe(0);
    const drafts = await serverDrafts(account);
    console.log(
      `duplicate Message-ID: ${drafts.map((d) => `${d.to.join(',')} quotes ${JSON.stringify(d.text.match(/^> (\w.*)/m)?.[1])}`).join('; ')}`,
    );
    expect(drafts).toHaveLength(2);
    const pieter = drafts.find((d) => d.to.includes('pieter@partner.example'));
    const sara = drafts.find((d) => d.to.includes('sara@partner.example'));
    expect(pieter?.text).toContain('invoice 2024-031');
    expect(pieter?.text).not.toContain('two seats');
    expect(sara?.text).toContain('two seats');
    expect(sara?.text).not.toContain('invoice 2024-031');
    expect(journal(account).map((r) => r.state)).toEqual(['appended', 'appended']);
    const again = await runStub(account);
    expect(again.summary?.drafted).toHaveLength(0);
    expect(await serverDrafts(account)).toHaveLength(2);
  });

  it('a draft the user flagged or tagged with a keyword is theirs: never deleted when the thread moves on, no second draft', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [
      question(me, 'Tom Baker', '<flag-a@partner.example>', 'Can we move the call to Thursday?'),
      question(me, 'Emma Stone', '<flag-b@partner.example>', 'Is the report ready for review?'),
    ]);
    expect((await runStub(account)).code).toBe(0);
    const before = await serverDrafts(account);
    expect(before).toHaveLength(2);
    const tom = before.find((d) => d.inReplyTo === '<flag-a@partner.example>')!;
    const emma = before.find((d) => d.inReplyTo === '<flag-b@partner.example>')!;
    await userFlags(account, 'Drafts', tom.uid, ['\\Flagged']);
    await userFlags(account, 'Drafts', emma.uid, ['$todo']);
    // The threads move on.
    await put(account, 'INBOX', [
      question(me, 'Tom Baker', '<flag-a2@partner.example>', 'Or Friday, if Thursday is full?', {
        inReplyTo: '<flag-a@partner.example>',
        references: '<flag-a@partner.example>',
      }),
      question(me, 'Emma Stone', '<flag-b2@partner.example>', 'Also, who signs it off?', {
        inReplyTo: '<flag-b@partner.example>',
        references: '<flag-b@partner.example>',
      }),
    ]);
    const run = await runStub(account);
    expect(run.code, run.stderr).toBe(0);
    const after = await serverDrafts(account);
    console.log(
      `flagged/tagged: drafts ${before.map((d) => d.uid)} → ${after.map((d) => `${d.uid} ${d.flags.join(' ')}`).join('; ')}; journal ${JSON.stringify(journal(account).map((r) => [r.state, r.reason]))}`,
    );
    expect(after.map((d) => d.uid)).toEqual(before.map((d) => d.uid));
    expect(after.find((d) => d.uid === tom.uid)?.flags).toContain('\\Flagged');
    expect(after.find((d) => d.uid === emma.uid)?.flags).toContain('$todo');
    expect(run.summary?.drafted).toHaveLength(0);
    const rows = journal(account);
    expect(rows.map((r) => r.state)).toEqual(['touched', 'touched']);
    for (const r of rows) expect(r.reason).toMatch(/flagged or tagged by you/);
  });

  it('Drafts recreated (new UIDVALIDITY) with our draft moved back: found by its header, not deleted, no second draft', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [
      question(me, 'Olivia Hughes', '<move-1@partner.example>', 'Would you read the contract once more?'),
    ]);
    expect((await runStub(account)).code).toBe(0);
    const [ours] = await serverDrafts(account);
    expect(ours).toBeDefined();
    const client = await account.client();
    const validityBefore = uidValidityOf(await client.status('Drafts', { uidValidity: true }));
    // The user moves the draft out, the Drafts folder is deleted and made again, the draft goes back.
    let lock = await client.getMailboxLock('Drafts');
    await client.messageMove(String(ours!.uid), 'Archive', { uid: true });
    lock.release();
    await client.mailboxDelete('Drafts');
    await client.mailboxCreate('Drafts');
    lock = await client.getMailboxLock('Archive');
    await client.messageMove('1:*', 'Drafts');
    lock.release();
    const validityAfter = uidValidityOf(await client.status('Drafts', { uidValidity: true }));
    await client.logout();
    expect(validityAfter).not.toBe(validityBefore);
    const moved = await serverDrafts(account);
    expect(moved).toHaveLength(1);

    const first = await runStub(account);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary?.drafted).toHaveLength(0);
    // The thread moves on: the moved draft is the user's now.
    await put(account, 'INBOX', [
      question(me, 'Olivia Hughes', '<move-2@partner.example>', 'And the annex too, please.', {
        inReplyTo: '<move-1@partner.example>',
        references: '<move-1@partner.example>',
      }),
    ]);
    const second = await runStub(account);
    expect(second.code, second.stderr).toBe(0);
    const after = await serverDrafts(account);
    const [row] = journal(account);
    console.log(
      `moved back after UIDVALIDITY ${validityBefore} → ${validityAfter}: drafts ${moved.map((d) => d.uid)} → ${after.map((d) => d.uid)}; journal ${row?.state} "${row?.reason}"`,
    );
    expect(after.map((d) => [d.uid, d.key])).toEqual(moved.map((d) => [d.uid, d.key]));
    expect(second.summary?.drafted).toHaveLength(0);
    expect(row?.state).toBe('touched');
    expect(row?.reason).toMatch(/moved by you/);
    expect(row?.reason).not.toMatch(/edited/);
    expect(row?.uidvalidity).toBe(Number(validityAfter));
  });

  it('a draft edited in a client that drops our header: no second draft of ours beside it, now or when the thread moves on', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [question(me, 'Lars Berg', '<edit-1@partner.example>', 'Can you send the slides?')]);
    expect((await runStub(account)).code).toBe(0);
    const [ours] = await serverDrafts(account);
    const edited = ours!.raw
      .toString('utf8')
      .replace(/^X-Understudy-Draft: .*\r\n/im, '')
      .replace('Thank you', 'Thanks a lot');
    await put(account, 'Drafts', [edited], ['\\Draft', '\\Seen']);
    await userDelete(account, 'Drafts', [ours!.uid]);
    const first = await runStub(account);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary?.drafted).toHaveLength(0);
    expect(first.summary?.feedback).toEqual({ sent: 0, discarded: 0 });
    await put(account, 'INBOX', [
      question(me, 'Lars Berg', '<edit-2@partner.example>', 'The PDF is fine too.', {
        inReplyTo: '<edit-1@partner.example>',
        references: '<edit-1@partner.example>',
      }),
    ]);
    const second = await runStub(account);
    expect(second.code, second.stderr).toBe(0);
    const after = await serverDrafts(account);
    const [row] = journal(account);
    console.log(
      `edited without our header: drafts on server ${after.map((d) => `${d.uid} key=${d.key}`)}; journal ${row?.state} "${row?.reason}"; second run ${JSON.stringify(second.summary?.decisions.map((d) => d.reason ?? d.action))}`,
    );
    expect(second.summary?.drafted).toHaveLength(0);
    expect(after).toHaveLength(1);
    expect(after[0]?.key).toBeNull();
    expect(after[0]?.text).toContain('Thanks a lot');
    expect(row?.state).toBe('touched');
  });

  it('a deleted draft is the user’s "no": not drafted again, not "discarded" and "written" in one run; a later reply counts once; a new message gets a draft', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [question(me, 'Nina Vos', '<del-1@partner.example>', 'Shall we meet next week?')]);
    expect((await runStub(account)).code).toBe(0);
    const [ours] = await serverDrafts(account);
    await userDelete(account, 'Drafts', [ours!.uid]);
    const first = await runStub(account);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary?.feedback).toEqual({ sent: 0, discarded: 1 });
    expect(first.summary?.drafted).toHaveLength(0);
    expect(first.summary?.decisions.find((d) => d.from === 'nina@partner.example')?.reason).toBe('declined');
    const second = await runStub(account);
    expect(second.summary?.feedback).toEqual({ sent: 0, discarded: 0 });
    expect(second.summary?.drafted).toHaveLength(0);
    expect(await serverDrafts(account)).toHaveLength(0);
    // Later the user answers after all, from their own client.
    await put(
      account,
      'Sent',
      [
        buildMessage({
          from: me,
          to: 'Nina Vos <nina@partner.example>',
          subject: 'Re: Question from Nina',
          inReplyTo: '<del-1@partner.example>',
          references: '<del-1@partner.example>',
          body: 'Hi Nina,\r\n\r\nTuesday works.\r\n\r\nAnna\r\n',
          date: new Date(),
        }),
      ],
      ['\\Seen'],
    );
    const replied = await runStub(account);
    expect(replied.summary?.feedback).toEqual({ sent: 1, discarded: 0 });
    expect((await runStub(account)).summary?.feedback).toEqual({ sent: 0, discarded: 0 });
    // A new message in the thread is new: it gets a draft.
    await put(account, 'INBOX', [
      question(me, 'Nina Vos', '<del-2@partner.example>', 'Great, which room?', {
        inReplyTo: '<del-1@partner.example>',
        references: '<del-1@partner.example>',
      }),
    ]);
    const fresh = await runStub(account);
    console.log(
      `deleted draft: feedback ${JSON.stringify(first.summary?.feedback)} then ${JSON.stringify(second.summary?.feedback)}, reply ${JSON.stringify(replied.summary?.feedback)}; new message drafted ${fresh.summary?.drafted.length}; journal ${journal(account).map((r) => r.state)}`,
    );
    expect(fresh.summary?.drafted).toHaveLength(1);
    expect(journal(account).map((r) => r.state)).toEqual(['sent', 'appended']);
  });

  it('a sent draft is recorded as sent once: client keeps the draft’s Message-ID (Sent by role), or gives a new one (Sent through folders.include)', async () => {
    const { account, me } = freshAccount({ account: '[accounts.folders]\ninclude = ["Sent Items"]\n' });
    const setup = await account.client();
    await setup.mailboxCreate('Sent Items');
    await setup.logout();
    await put(account, 'INBOX', [
      question(me, 'Ravi Patel', '<sent-1@partner.example>', 'Can you confirm the order?'),
      question(me, 'Mia Klein', '<sent-2@partner.example>', 'Is the venue booked?'),
    ]);
    expect((await runStub(account)).code).toBe(0);
    const drafts = await serverDrafts(account);
    const ravi = drafts.find((d) => d.inReplyTo === '<sent-1@partner.example>')!;
    const mia = drafts.find((d) => d.inReplyTo === '<sent-2@partner.example>')!;
    // Ravi's draft is sent by a client that keeps its Message-ID (and drops the threading headers);
    // Mia's by one that gives the sent copy a new Message-ID, filed in a Sent folder without the role.
    const keptId = ravi.raw
      .toString('utf8')
      .replace(/^X-Understudy-Draft: .*\r\n/im, '')
      .replace(/^(In-Reply-To|References): .*\r\n/gim, '');
    await put(account, 'Sent', [keptId], ['\\Seen']);
    await put(
      account,
      'Sent Items',
      [
        buildMessage({
          from: me,
          to: 'Mia Klein <mia@partner.example>',
          subject: 'Re: Question from Mia',
          inReplyTo: '<sent-2@partner.example>',
          references: '<sent-2@partner.example>',
          body: 'Hi Mia,\r\n\r\nYes, booked.\r\n\r\nAnna\r\n',
          date: new Date(Date.now() + 60_000),
        }),
      ],
      ['\\Seen'],
    );
    await userDelete(account, 'Drafts', [ravi.uid, mia.uid]);
    const run = await runStub(account);
    expect(run.code, run.stderr).toBe(0);
    const rows = journal(account);
    console.log(
      `sent: feedback ${JSON.stringify(run.summary?.feedback)}; journal ${JSON.stringify(rows.map((r) => [r.parent_message_id, r.state]))}`,
    );
    expect(run.summary?.feedback).toEqual({ sent: 2, discarded: 0 });
    expect(rows.map((r) => r.state)).toEqual(['sent', 'sent']);
    const again = await runStub(account);
    expect(again.summary?.feedback).toEqual({ sent: 0, discarded: 0 });
    expect(again.summary?.drafted).toHaveLength(0);
  });

  it('a refusal is recorded once with the refused text, not generated again, and retried when the model changes', async () => {
    const { account, me } = freshAccount();
    const calls = `${account.dir}/calls.txt`;
    const garbage = { STUB_REPLY: '#### $$$$ %%%% ^^^^ &&&& **** !!!! #### $$$$', STUB_CALLS: calls };
    await put(account, 'INBOX', [question(me, 'Owen Fry', '<ref-1@partner.example>', 'When is the deadline?')]);
    const first = await runStub(account, garbage);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary?.failed).toHaveLength(1);
    const second = await runStub(account, garbage);
    const third = await runStub(account, garbage);
    const { readFileSync } = await import('node:fs');
    const generations = () => readFileSync(calls, 'utf8').trim().split('\n').length;
    expect(second.summary?.failed).toHaveLength(0);
    expect(third.summary?.failed).toHaveLength(0);
    expect(second.summary?.decisions[0]?.reason).toBe('refused_before');
    expect(generations()).toBe(1);
    let rows = journal(account);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.state).toBe('failed');
    expect(rows[0]?.body).toBe(garbage.STUB_REPLY);
    // A new model version is promoted: the message is tried again, once.
    storeExec(
      account,
      "INSERT INTO model_versions (created_at, base, dir, status, metrics, data) VALUES (0, 'base', '/nonexistent', 'promoted', '{}', '{}')",
    );
    const retried = await runStub(account, garbage);
    await runStub(account, garbage);
    rows = journal(account);
    console.log(
      `refusal: generations ${generations()}; journal ${JSON.stringify(rows.map((r) => [r.state, r.model_key, r.body.slice(0, 12)]))}`,
    );
    expect(retried.summary?.failed).toHaveLength(1);
    expect(generations()).toBe(2);
    expect(rows.map((r) => r.model_key)).toEqual(['base:qwen2.5-0.5b-instruct', 'version:1']);
    expect(await serverDrafts(account)).toHaveLength(0);
  });

  it('draft before any model: --dry-run shows the triage and says what to do; a real run exits 78 with the fix, no stack trace', async () => {
    const { account, me } = freshAccount();
    await put(account, 'INBOX', [question(me, 'Ida Lund', '<nomodel@partner.example>', 'Could you call me back?')]);
    const dry = await runCli(['--config', account.configFile, 'draft', '--dry-run']);
    console.log(`dry run without a model (exit ${dry.code}):\n${dry.stdout}${dry.stderr}`);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/ida@partner\.example\s+DRAFT/);
    expect(dry.stdout).toMatch(/1 draft would be written/);
    expect(dry.stdout).toMatch(/understudy model pull/);
    const real = await runCli(['--config', account.configFile, 'draft']);
    console.log(`real run without a model (exit ${real.code}): ${real.stderr.trim()}`);
    expect(real.code).toBe(78);
    expect(real.stderr).toMatch(/understudy model pull/);
    expect(real.stderr).not.toMatch(/\n\s+at /);
    expect(await serverDrafts(account)).toHaveLength(0);
    expect(journal(account)).toHaveLength(0);
  });
});
