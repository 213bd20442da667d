// Deleted mail must not stay readable in the database file's free pages (secure_delete, WAL mode).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureAccount } from '../../src/store/accounts.js';
import { openStore } from '../../src/store/db.js';
import { deleteOrphanContents, ensureMailbox } from '../../src/store/mailboxes.js';
import { deleteUids, insertMessages, type NewMessage } from '../../src/store/messages.js';

function message(uid: number, text: string, subject: string): NewMessage {
  return {
    uid,
    messageId: `<${uid}@x>`,
    inReplyTo: null,
    references: [],
    from: [{ address: 'a@x' }],
    to: [],
    cc: [],
    replyTo: [],
    subject,
    date: 1,
    internalDate: 1,
    flags: [],
    modseq: '1',
    size: 100,
    listId: null,
    listUnsubscribe: null,
    autoSubmitted: null,
    precedence: null,
    content: {
      dedupeKey: `<${uid}@x>/100`,
      headers: `Subject: ${subject}`,
      mimeType: 'text/plain',
      bodyText: text,
      bodyHtml: null,
      textTruncated: false,
      attachments: [],
    },
  };
}

const fileHas = (path: string, marker: string) =>
  existsSync(path) && readFileSync(path).includes(Buffer.from(marker, 'utf8'));

describe('store: deleted mail', () => {
  it('is not readable in the .db or -wal file after the delete and a checkpoint', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'understudy-secdel-')), 'understudy.db');
    const db = openStore(path);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    const account = ensureAccount(db, { name: 'a', host: 'h', user: 'u' });
    const inbox = ensureMailbox(db, account, { path: 'INBOX', specialUse: '\\Inbox' });
    const marker = 'SECRET-MARKER-7f3a9c';
    // Neighbours on the same pages stay, so the deleted row's page is reused, not dropped whole.
    const keep = Array.from({ length: 20 }, (_, i) => message(i + 10, `kept message ${i} `.repeat(20), `kept ${i}`));
    insertMessages(db, account, inbox.id, [...keep, message(1, `body ${marker} `.repeat(5), `subject ${marker}`)]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fileHas(path, marker)).toBe(true);

    deleteUids(db, inbox.id, [1]);
    expect(deleteOrphanContents(db)).toBe(1);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(fileHas(path, marker)).toBe(false);
    expect(fileHas(`${path}-wal`, marker)).toBe(false);
    db.close();
    expect(fileHas(path, marker)).toBe(false);
  });
});
