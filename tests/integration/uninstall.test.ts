// `understudy uninstall` against Dovecot: our drafts still on the server are listed and kept by
// default; --delete-drafts --yes deletes only the untouched ones carrying our header (never one
// the user flagged, never the user's own draft); --purge --yes deletes the data folder and the
// config. The service step runs `service uninstall` with XDG_CONFIG_HOME in a temp folder.
// The outbox rows are written with the store's own functions and the drafts APPENDed as the
// outbox does, so that no model has to be trained for this test.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { appendDraft, DRAFT_HEADER } from '../../src/imap/drafts.js';
import { ensureAccount } from '../../src/store/accounts.js';
import { migrate, openStore } from '../../src/store/db.js';
import { insertDraft, updateDraft } from '../../src/store/drafts.js';
import { newAccount, runCli } from '../helpers/account.js';

const server = inject('dovecot');

function draftRaw(key: string, subject: string, ours = true): Buffer {
  return Buffer.from(
    [
      'From: Anna <anna@example.test>',
      'To: Tom <tom@partner.example>',
      `Subject: ${subject}`,
      `Message-ID: <${key}@understudy.test>`,
      ...(ours ? [`${DRAFT_HEADER}: ${key}`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hi Tom,\r\n\r\nYes.\r\n\r\nAnna',
    ].join('\r\n'),
  );
}

describe('understudy uninstall', () => {
  it('lists our drafts, deletes only the untouched ones when asked, and purges data and config', async () => {
    const account = newAccount(server);
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'understudy-uninstall-xdg-')) };
    const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args], env);
    const db = openStore(join(account.dir, 'data', 'understudy.db'));
    migrate(db);
    const accountId = ensureAccount(db, { name: 'test', host: server.host, user: account.user });
    const client = await account.client();
    const uids: Record<string, number | null> = {};
    for (const [key, subject] of [
      ['k-plain', 'Re: Friday'],
      ['k-flagged', 'Re: Invoice'],
    ] as const) {
      const raw = draftRaw(key, subject);
      const row = insertDraft(
        db,
        {
          account_id: accountId,
          draft_key: key,
          message_id: `<${key}@understudy.test>`,
          parent_message_id: `<parent-${key}@x>`,
          parent_content: null,
          parent_mailbox: 'INBOX',
          parent_uidvalidity: 1,
          parent_uid: 1,
          thread_key: key,
          raw,
          body: 'Hi Tom, Yes. Anna',
          mode: 'model',
          model_version: 1,
          model_key: 'version:1',
          generation: null,
        },
        'planned',
        null,
      );
      const appended = await appendDraft(client, 'Drafts', raw);
      uids[key] = appended.uid;
      updateDraft(db, row.id, 'appended', {
        where: { mailbox: 'Drafts', uidvalidity: appended.uidValidity, uid: appended.uid },
      });
    }
    db.close();
    // The user flags one of ours (it is theirs now) and saves a draft of their own.
    const flagLock = await client.getMailboxLock('Drafts');
    try {
      expect(await client.messageFlagsAdd(String(uids['k-flagged']), ['\\Flagged'], { uid: true })).toBe(true);
    } finally {
      flagLock.release();
    }
    await client.append('Drafts', draftRaw('users-own', 'My own draft', false), ['\\Draft']);

    const listed = await cli('uninstall');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(
      /2 drafts of ours are still on the server:\n {2}test {2}Drafts {2}Re: Friday\n {2}test {2}Drafts {2}Re: Invoice/,
    );
    expect(listed.stdout).toMatch(
      /uninstall: no service was installed; 0 drafts deleted, 2 left on the server; data and config kept/,
    );

    const noTty = await cli('uninstall', '--delete-drafts');
    expect(noTty.code).toBe(64);
    expect(noTty.stderr).toMatch(/add --yes to confirm/);

    const deleted = await cli('uninstall', '--delete-drafts', '--yes', '--json');
    expect(deleted.code, deleted.stderr).toBe(0);
    const result = JSON.parse(deleted.stdout);
    console.log(`uninstall --delete-drafts: ${deleted.stdout}`);
    expect(result.draftsDeleted.map((d: { subject: string }) => d.subject)).toEqual(['Re: Friday']);
    expect(result.draftsLeft.map((d: { subject: string; outcome: string }) => `${d.subject} ${d.outcome}`)).toEqual([
      'Re: Invoice changed',
    ]);
    // A fresh session: the old one may still show the expunged draft until it hears of it.
    const fresh = await account.client();
    const lock = await fresh.getMailboxLock('Drafts');
    const subjects: string[] = [];
    try {
      for (const m of await fresh.fetchAll('1:*', { uid: true, envelope: true }))
        subjects.push(m.envelope?.subject ?? '');
    } finally {
      lock.release();
      await fresh.logout();
    }
    expect(subjects.sort()).toEqual(['My own draft', 'Re: Invoice']);

    const purged = await cli('uninstall', '--purge', '--yes');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toMatch(/purged .*data and .*config\.toml/);
    expect(existsSync(join(account.dir, 'data'))).toBe(false);
    expect(existsSync(account.configFile)).toBe(false);
    await client.logout();
  }, 120_000);
});
