// The SQLite store: private file modes, migrations, batches that can be rewritten, shared contents.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureAccount } from '../../src/store/accounts.js';
import { migrate, openStore } from '../../src/store/db.js';
import { deleteOrphanContents, ensureMailbox, resetMailbox } from '../../src/store/mailboxes.js';
import {
  deleteUids,
  insertMessages,
  maxUid,
  type NewMessage,
  storedContentKeys,
  updateFlags,
} from '../../src/store/messages.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

function message(uid: number, id: string, text = 'hello'): NewMessage {
  return {
    uid,
    messageId: id,
    inReplyTo: null,
    references: [],
    from: [{ address: 'a@x' }],
    to: [],
    cc: [],
    replyTo: [],
    subject: 's',
    date: 1,
    internalDate: 1,
    flags: ['\\Seen'],
    modseq: '1',
    size: 100,
    listId: null,
    listUnsubscribe: null,
    autoSubmitted: null,
    precedence: null,
    content: {
      dedupeKey: `${id}/100`,
      headers: 'H',
      mimeType: 'text/plain',
      bodyText: text,
      bodyHtml: null,
      textTruncated: false,
      attachments: [],
    },
  };
}

describe('store', () => {
  it('creates a 0700 folder and a 0600 database, and migrates once', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'understudy-store-')), 'nested', 'data');
    const db = openStore(join(dir, 'understudy.db'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'understudy.db')).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    migrate(db);
    db.close();
  });

  it('rewriting a batch replaces rows; copies in two mailboxes share one content', () => {
    const db = openStore(join(mkdtempSync(join(tmpdir(), 'understudy-store-')), 'u.db'));
    const account = ensureAccount(db, { name: 'a', host: 'h', user: 'u' });
    const inbox = ensureMailbox(db, account, { path: 'INBOX', specialUse: '\\Inbox' });
    const all = ensureMailbox(db, account, { path: 'All Mail', specialUse: '\\All' });
    insertMessages(db, account, inbox.id, [message(1, '<1@x>'), message(2, '<2@x>')]);
    insertMessages(db, account, inbox.id, [message(1, '<1@x>'), message(2, '<2@x>')]);
    expect(storedContentKeys(db, account, ['<1@x>/100', '<3@x>/100'])).toEqual(new Set(['<1@x>/100']));
    insertMessages(db, account, all.id, [
      { ...message(7, '<1@x>'), content: { dedupeKey: '<1@x>/100', stored: true } },
    ]);
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT COUNT(*) AS n FROM messages')).toBe(3);
    expect(count('SELECT COUNT(*) AS n FROM contents')).toBe(2);
    expect(maxUid(db, inbox.id)).toBe(2);
    expect(
      updateFlags(db, inbox.id, [
        { uid: 1, flags: ['\\Flagged', '\\Seen'], modseq: '5' },
        { uid: 99, flags: [], modseq: null },
      ]),
    ).toBe(1);
    // Expunging one copy keeps the content the other copy uses; expunging both frees it.
    deleteUids(db, inbox.id, [1, 2]);
    expect(deleteOrphanContents(db)).toBe(1);
    resetMailbox(db, all.id, 42);
    expect(deleteOrphanContents(db)).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM contents')).toBe(0);
    db.close();
  });
});
