// The message row → domain mapper: address columns parsed in one place (a damaged value reads as
// no one), References and flags split, the same `Message` from every query that returns messages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureAccount } from '../../src/store/accounts.js';
import { addressesFromColumn, addressesToColumn } from '../../src/store/addresses.js';
import { openStore } from '../../src/store/db.js';
import { answeredMessageIds, inboxMessages, possibleSentCopies } from '../../src/store/drafts.js';
import { ensureMailbox } from '../../src/store/mailboxes.js';
import { inboxUid, insertMessages, messagesForDataset, type NewMessage } from '../../src/store/messages.js';

function message(uid: number, id: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    uid,
    messageId: id,
    inReplyTo: null,
    references: [],
    from: [{ name: 'Bea', address: 'bea@example.org' }],
    to: [{ address: 'ann@example.com' }],
    cc: [],
    replyTo: [],
    subject: 'Lunch',
    date: 1_700_000_000_000 + uid,
    internalDate: null,
    flags: ['\\Seen'],
    modseq: null,
    size: 10,
    listId: null,
    listUnsubscribe: null,
    autoSubmitted: null,
    precedence: null,
    content: {
      dedupeKey: `${id}/10`,
      headers: 'H',
      mimeType: 'text/plain',
      bodyText: 'hi',
      bodyHtml: null,
      textTruncated: false,
      attachments: [],
    },
    ...extra,
  };
}

describe('address columns', () => {
  it('round-trip a list, store an empty list as NULL', () => {
    const list = [{ name: 'Ann', address: 'ann@example.com' }, { address: 'bob@example.net' }];
    expect(addressesFromColumn(addressesToColumn(list))).toEqual(list);
    expect(addressesToColumn([])).toBeNull();
    expect(addressesFromColumn(null)).toEqual([]);
  });

  it('read a damaged value as no one instead of throwing', () => {
    expect(addressesFromColumn('{not json')).toEqual([]);
    expect(addressesFromColumn('"ann@example.com"')).toEqual([]);
    expect(addressesFromColumn('{"address":"ann@example.com"}')).toEqual([]);
    expect(addressesFromColumn('[null, 3, {"address":"ann@example.com"}]')).toEqual([{ address: 'ann@example.com' }]);
  });
});

describe('Message from the store', () => {
  function store() {
    const db = openStore(join(mkdtempSync(join(tmpdir(), 'understudy-messages-')), 'u.db'));
    const account = ensureAccount(db, { name: 'a', host: 'h', user: 'u' });
    const inbox = ensureMailbox(db, account, { path: 'INBOX', specialUse: '\\Inbox' });
    const sent = ensureMailbox(db, account, { path: 'Sent', specialUse: '\\Sent' });
    db.prepare('UPDATE mailboxes SET uidvalidity = 7 WHERE id = ?').run(inbox.id);
    return { db, account, inbox, sent };
  }

  it('gives every query the same parsed shape', () => {
    const { db, account, inbox, sent } = store();
    insertMessages(db, account, inbox.id, [
      message(3, '<q@x>', { references: ['<root@x>', '<mid@x>'], flags: ['\\Flagged', '\\Seen'] }),
    ]);
    insertMessages(db, account, sent.id, [
      message(1, '<r@x>', {
        from: [{ address: 'ann@example.com' }],
        to: [{ name: 'Bea', address: 'bea@example.org' }],
        inReplyTo: '<q@x>',
        references: ['<root@x>', '<mid@x>', '<q@x>'],
      }),
    ]);
    const [fromInbox] = inboxMessages(db, account, 0);
    expect(fromInbox).toMatchObject({
      uid: 3,
      mailbox: 'INBOX',
      specialUse: '\\Inbox',
      uidValidity: 7,
      messageId: '<q@x>',
      references: ['<root@x>', '<mid@x>'],
      from: [{ name: 'Bea', address: 'bea@example.org' }],
      to: [{ address: 'ann@example.com' }],
      cc: [],
      replyTo: [],
      flags: ['\\Flagged', '\\Seen'],
    });
    const all = messagesForDataset(db, account);
    expect(all.map((m) => m.mailbox).sort()).toEqual(['INBOX', 'Sent']);
    expect(all.find((m) => m.mailbox === 'INBOX')).toEqual(fromInbox);
    const [copy] = possibleSentCopies(db, account, '<draft@x>', '<q@x>');
    expect(copy).toMatchObject({
      mailbox: 'Sent',
      specialUse: '\\Sent',
      inReplyTo: '<q@x>',
      from: [{ address: 'ann@example.com' }],
    });
    expect(answeredMessageIds(db, account, new Set())).toEqual(new Set(['<q@x>', '<root@x>', '<mid@x>']));
    expect(inboxUid(db, account, { messageId: '<q@x>' })).toBe(3);
    expect(inboxUid(db, account, { uid: 1 })).toBeUndefined();
  });

  it('reads a row with a damaged address column without failing the query', () => {
    const { db, account, inbox } = store();
    insertMessages(db, account, inbox.id, [message(5, '<d@x>')]);
    db.prepare("UPDATE messages SET from_addr = '{broken' WHERE uid = 5").run();
    const [m] = inboxMessages(db, account, 0);
    expect(m?.from).toEqual([]);
    expect(m?.to).toEqual([{ address: 'ann@example.com' }]);
    expect(answeredMessageIds(db, account, new Set())).toEqual(new Set());
  });
});
