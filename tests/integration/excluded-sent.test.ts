// folders.exclude that names the sent-mail folder (its \Sent special use, or the configured folders.sent) removes
// every reply the user wrote, so all training data: `sync` (which knows the server's roles) and `dataset build`
// (offline: no \Sent mailbox in the store and a glob matching a sent folder's name) warn once, naming the folder
// and the fix; excluding another folder says nothing. Against the real Dovecot and the built CLI.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const WARNING = /sent-mail folder/g;

/** An account with one incoming message and the user's reply to it, in `sentFolder`. */
async function accountWithReply(sentFolder: string): Promise<TestAccount> {
  const account = newAccount(server);
  const client = await account.client();
  try {
    if (sentFolder !== 'Sent') await client.mailboxCreate(sentFolder);
    const id = `<question-${account.user}@example.test>`;
    await appendMessages(client, 'INBOX', [
      buildMessage({
        messageId: id,
        to: `${account.user}@example.test`,
        subject: 'Lunch on Friday?',
        body: 'Hi,\r\n\r\nShall we have lunch on Friday?\r\n\r\nAnn\r\n',
      }),
    ]);
    await appendMessages(client, sentFolder, [
      buildMessage({
        from: `${account.user}@example.test`,
        to: 'Ann Example <ann@example.test>',
        subject: 'Re: Lunch on Friday?',
        inReplyTo: id,
        references: id,
        body: 'Friday at noon works for me.\r\n\r\nBob\r\n',
      }),
    ]);
  } finally {
    await client.logout();
  }
  return account;
}

const cli = (account: TestAccount, ...args: string[]) => runCli(['--config', account.configFile, ...args]);

describe('folders.exclude naming the sent folder', () => {
  let account: TestAccount;

  beforeAll(async () => {
    account = await accountWithReply('Sent');
    // First with everything synced: the dataset has the reply.
    expect((await cli(account, 'sync', '-q')).code).toBe(0);
    const built = await cli(account, 'dataset', 'build', '--json');
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout).accounts[0].examples).toBe(1);
    expect(built.stdout + built.stderr).not.toMatch(WARNING);
  });
  afterAll(() => account.writeConfig());

  it('sync warns once, naming the folder, the glob and the fix (text, -q and --json)', async () => {
    account.writeConfig({ account: '[accounts.folders]\nexclude = ["Sent"]\n' });
    const r = await cli(account, 'sync');
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all.match(WARNING)?.length, all).toBe(1);
    expect(all).toMatch(/folders\.exclude "Sent" excludes Sent, your sent-mail folder/);
    expect(all).toMatch(/fix: remove "Sent" from \[accounts\.folders\] exclude/);
    expect(all).not.toMatch(/"level":/);

    const quiet = await cli(account, 'sync', '-q');
    expect(quiet.code).toBe(0);
    expect((quiet.stdout + quiet.stderr).match(WARNING)?.length).toBe(1);

    const json = await cli(account, 'sync', '--json');
    const result = JSON.parse(json.stdout).accounts[0];
    expect(result.excludedSent).toHaveLength(1);
    expect(result.excludedSent[0]).toMatchObject({ path: 'Sent', globs: ['Sent'] });
    expect(result.excludedSent[0].fix).toMatch(/remove "Sent"/);
  });

  it('dataset build warns once on stderr (and in --json), the store having no Sent mailbox', async () => {
    account.writeConfig({ account: '[accounts.folders]\nexclude = ["Sent"]\n' });
    await cli(account, 'sync', '-q');
    const r = await cli(account, 'dataset', 'build');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(WARNING)?.length, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /test: no sent-mail folder of this account is synced, and folders\.exclude "Sent" matches "Sent"/,
    );
    expect(r.stderr).toMatch(/fix: remove "Sent" from \[accounts\.folders\] exclude/);
    const json = await cli(account, 'dataset', 'build', '--json', '--force');
    const summary = JSON.parse(json.stdout).accounts[0];
    expect(summary.examples).toBe(0); // what the warning is about
    expect(summary.excludedSent[0].globs).toEqual(['Sent']);
    expect(json.stderr).not.toMatch(WARNING);
  });

  it('config check, which lists the server’s folders, warns too', async () => {
    account.writeConfig({ account: '[accounts.folders]\nexclude = ["Sent"]\n' });
    const r = await cli(account, 'config', 'check');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(WARNING)?.length, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/WARNING: folders\.exclude "Sent" excludes Sent, your sent-mail folder/);
    expect(r.stdout).toMatch(/fix: remove "Sent" from \[accounts\.folders\] exclude/);
  });

  it('excluding another folder (or nothing) says nothing', async () => {
    account.writeConfig({ account: '[accounts.folders]\nexclude = ["Trash", "Archive/**"]\n' });
    const sync = await cli(account, 'sync');
    expect(sync.code, sync.stderr).toBe(0);
    const build = await cli(account, 'dataset', 'build');
    expect(build.code, build.stderr).toBe(0);
    expect(sync.stdout + sync.stderr + build.stdout + build.stderr).not.toMatch(WARNING);
  });
});

describe('folders.exclude naming the configured folders.sent (a server without SPECIAL-USE for it)', () => {
  it('sync and dataset build name it', async () => {
    const account = await accountWithReply('Gesendet');
    account.writeConfig({ account: '[accounts.folders]\nsent = "Gesendet"\nexclude = ["Gesend*"]\n' });
    const sync = await cli(account, 'sync');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/folders\.exclude "Gesend\*" excludes Gesendet, your sent-mail folder/);
    const build = await cli(account, 'dataset', 'build');
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toMatch(/folders\.exclude "Gesend\*" matches "Gesendet" \(folders\.sent\)/);
  });
});
