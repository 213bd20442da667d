// Sync engine against a real Dovecot: first sync, incremental changes, UIDVALIDITY, selection.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncAccount } from '../../src/imap/sync-account.js';
import { type Db, openStore } from '../../src/store/db.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { doveadm } from '../helpers/dovecot.js';
import { appendMessages, buildMessage, serverMessages } from '../helpers/mail.js';

const server = inject('dovecot');

/** The store's view: mailbox → UID → Message-ID and flags. */
function storeMessages(db: Db, path: string): Map<number, { messageId: string | null; flags: string[] }> {
  const rows = db
    .prepare(
      'SELECT m.uid, m.message_id, m.flags FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? ORDER BY uid',
    )
    .all(path) as { uid: number; message_id: string | null; flags: string }[];
  return new Map(rows.map((r) => [r.uid, { messageId: r.message_id, flags: r.flags ? r.flags.split(' ') : [] }]));
}

async function expectMirrors(db: Db, client: ImapFlow, path: string): Promise<number> {
  const onServer = await serverMessages(client, path);
  const stored = storeMessages(db, path);
  expect([...stored.keys()]).toEqual([...onServer.keys()]);
  for (const [uid, m] of onServer) {
    expect(stored.get(uid)?.messageId).toBe(m.messageId);
    expect(stored.get(uid)?.flags).toEqual(m.flags);
  }
  return onServer.size;
}

describe('sync against Dovecot', () => {
  let account: TestAccount;
  let client: ImapFlow;
  let db: Db;
  const sync = () => syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });

  beforeAll(async () => {
    account = newAccount(server, { top: '[sync]\nbatch_size = 7' });
    client = await account.client();
    db = openStore(account.config.dbPath);
    await client.mailboxCreate('Projects/Alpha');
    await client.mailboxCreate('Archive/Private');
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 25 }, (_, i) => buildMessage({ subject: `Inbox ${i}` })),
    );
    await appendMessages(client, 'INBOX', [
      buildMessage({
        subject: 'With HTML and attachment',
        body: 'Plain part: café\r\n',
        html: '<p>HTML part: caf&eacute; ☕</p>',
        attachmentBytes: 200_000,
      }),
    ]);
    await appendMessages(client, 'INBOX', [
      buildMessage({
        subject: 'HTML only',
        html: '<div>Only <b>HTML</b> here</div>',
        htmlOnly: true,
      }),
    ]);
    await appendMessages(
      client,
      'Sent',
      Array.from({ length: 11 }, (_, i) =>
        buildMessage({ from: `${account.user}@example.test`, subject: `Re: Inbox ${i}` }),
      ),
    );
    await appendMessages(client, 'Sent', [
      buildMessage({
        subject: 'Re: sent with HTML',
        body: 'My reply\r\n',
        html: '<p>My reply</p><div class="gmail_quote">quoted</div>',
      }),
    ]);
    await appendMessages(client, 'Archive', [buildMessage({ subject: 'archived' })]);
    await appendMessages(client, 'Archive/Private', [buildMessage({ subject: 'private' })]);
    await appendMessages(client, 'Trash', [buildMessage({ subject: 'trash' })]);
    await appendMessages(client, 'Junk', [buildMessage({ subject: 'junk' })]);
    await appendMessages(client, 'Projects/Alpha', [buildMessage({ subject: 'project' })]);
  });

  afterAll(async () => {
    db?.close();
    await client?.logout();
  });

  it('first sync mirrors INBOX, Sent and the Archive tree, and nothing else', async () => {
    const result = await sync();
    const synced = result.mailboxes.map((m) => m.path).sort();
    expect(synced).toEqual(['Archive', 'INBOX', 'Sent']);
    const skipped = result.skipped.map((s) => s.path);
    expect(skipped).toEqual(expect.arrayContaining(['Archive/Private', 'Drafts', 'Junk', 'Projects/Alpha', 'Trash']));
    expect(await expectMirrors(db, client, 'INBOX')).toBe(27);
    expect(await expectMirrors(db, client, 'Sent')).toBe(12);
    expect(await expectMirrors(db, client, 'Archive')).toBe(1);
    const roles = db.prepare('SELECT path, special_use FROM mailboxes ORDER BY path').all();
    expect(roles).toEqual([
      { path: 'Archive', special_use: '\\Archive' },
      { path: 'INBOX', special_use: '\\Inbox' },
      { path: 'Sent', special_use: '\\Sent' },
    ]);
    console.log(
      `first sync: ${result.mailboxes.map((m) => `${m.path} +${m.added}`).join(', ')} in ${result.durationMs} ms`,
    );
  });

  it('stores the decoded text part and records the attachment without downloading it', () => {
    const body = (subject: string) =>
      db
        .prepare(
          `SELECT c.body_text, c.body_html, c.attachments, c.mime_type, m.size FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.subject = ?`,
        )
        .get(subject) as {
        body_text: string | null;
        body_html: string | null;
        attachments: string;
        mime_type: string;
        size: number;
      };
    const row = body('With HTML and attachment');
    expect(row.body_text).toContain('Plain part: café');
    // Received mail with a text/plain alternative: the plain part is the author's text.
    expect(row.body_html).toBeNull();
    expect(row.mime_type).toBe('multipart/mixed');
    const attachments = JSON.parse(row.attachments);
    expect(attachments).toHaveLength(1);
    expect(attachments[0]).toMatchObject({
      type: 'application/pdf',
      filename: 'report.pdf',
      disposition: 'attachment',
    });
    // The message is > 200 KB on the server; what we keep of it is the small text part.
    expect(row.size).toBeGreaterThan(200_000);
    expect(row.body_text?.length).toBeLessThan(1000);
    // HTML is fetched when it is the only body, and for the user's own Sent mail.
    expect(body('HTML only')).toMatchObject({
      body_text: null,
      body_html: '<div>Only <b>HTML</b> here</div>',
      mime_type: 'text/html',
    });
    const sent = body('Re: sent with HTML');
    expect(sent.body_text).toBe('My reply\r\n');
    expect(sent.body_html).toContain('gmail_quote');
    console.log(
      `attachment recorded (${attachments[0].size} bytes on the server), ${row.body_text?.length} bytes of text stored`,
    );
  });

  it('a second sync with nothing changed fetches nothing', async () => {
    const result = await sync();
    expect(result.mailboxes.every((m) => m.unchanged)).toBe(true);
    expect(result.mailboxes.reduce((n, m) => n + m.added + m.flagsChanged + m.expunged, 0)).toBe(0);
  });

  it('incremental sync picks up new mail, flag changes and expunges', async () => {
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 9 }, (_, i) => buildMessage({ subject: `New ${i}` })),
      [],
    );
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.messageFlagsAdd('1:3', ['\\Flagged']);
      await client.messageFlagsRemove('4', ['\\Seen']);
      await client.messageDelete('5:8');
    } finally {
      lock.release();
    }
    const result = await sync();
    const inbox = result.mailboxes.find((m) => m.path === 'INBOX');
    expect(inbox).toMatchObject({ added: 9, flagsChanged: 4, expunged: 4, reset: false });
    expect(await expectMirrors(db, client, 'INBOX')).toBe(32);
    console.log('incremental:', inbox);
  });

  it('a changed UIDVALIDITY drops that mailbox and fetches it again', async () => {
    const before = storeMessages(db, 'Sent');
    const mailbox = await client.status('Sent', { uidValidity: true });
    if (!mailbox) throw new Error('STATUS Sent failed');
    doveadm(server, [
      'mailbox',
      'update',
      '-u',
      account.user,
      '--uid-validity',
      String(Number(mailbox.uidValidity) + 1000),
      'Sent',
    ]);
    const result = await sync();
    const sent = result.mailboxes.find((m) => m.path === 'Sent');
    expect(sent).toMatchObject({ reset: true, added: 12 });
    expect(await expectMirrors(db, client, 'Sent')).toBe(12);
    expect(storeMessages(db, 'Sent').size).toBe(before.size);
    const row = db.prepare(`SELECT uidvalidity FROM mailboxes WHERE path = 'Sent'`).get() as {
      uidvalidity: number;
    };
    expect(row.uidvalidity).toBe(Number(mailbox.uidValidity) + 1000);
  });

  it('include and exclude globs change the selection, and excluded mail leaves the store', async () => {
    account.writeConfig({
      account: '[accounts.folders]\ninclude = ["Projects/*", "Archive/**"]\nexclude = ["Archive/Private/**"]',
    });
    let result = await sync();
    expect(result.mailboxes.map((m) => m.path).sort()).toEqual(['Archive', 'INBOX', 'Projects/Alpha', 'Sent']);
    expect(storeMessages(db, 'Projects/Alpha').size).toBe(1);
    expect(storeMessages(db, 'Archive/Private').size).toBe(0);
    expect(result.skipped.find((s) => s.path === 'Archive/Private')?.reason).toMatch(/excluded/);

    account.writeConfig({ account: '[accounts.folders]\nexclude = ["Projects/**", "Archive"]' });
    result = await sync();
    expect(result.mailboxes.map((m) => m.path).sort()).toEqual(['INBOX', 'Sent']);
    expect(result.removed.map((r) => r.path).sort()).toEqual(['Archive', 'Projects/Alpha']);
    expect(storeMessages(db, 'Projects/Alpha').size).toBe(0);
    expect(storeMessages(db, 'Archive').size).toBe(0);
    const orphans = db
      .prepare('SELECT COUNT(*) AS n FROM contents WHERE id NOT IN (SELECT content_id FROM messages)')
      .get() as { n: number };
    expect(orphans.n).toBe(0);
    account.writeConfig();
  });
});
