// Draft safety against Dovecot, with the real run (triage, compose, journal, APPEND, retire,
// feedback) and a fixed generator in place of the model: identity (two messages with one
// Message-ID), drafts the user touched (flags, keywords, a move after Drafts was recreated, an
// edit by a client that drops our header, a deletion), sent replies found whichever way the
// client sends, refusals recorded once, and `draft` before any model exists.
import { beforeAll, describe, expect, inject, it } from 'vitest';
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
});
