// The messages and contents tables: what the sync engine writes, and `Message`, the one shape
// every reader gets a stored message in (addresses parsed, References and flags split).
import { type Address, addressesFromColumn, addressesToColumn } from './addresses.js';
import { type Db, stmt } from './db.js';

export type { Address } from './addresses.js';

/** The header fields and flags of a message, as the sync writes them and every reader gets them. */
export interface MessageHeaders {
  uid: number;
  messageId: string | null;
  inReplyTo: string | null;
  /** References, oldest first, as the sync stored them (`<id>` each). */
  references: string[];
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  subject: string | null;
  /** Date: header, ms since the epoch (the internal date when the header is absent or unreadable). */
  date: number | null;
  /** IMAP flags and keywords (\Seen, \Draft, $Forwarded, …). */
  flags: string[];
}

/** One stored copy of a message (a message in two mailboxes is two of these, sharing `contentId`). */
export interface Message extends MessageHeaders {
  /** Row id of this copy. */
  id: number;
  /** The stored content (what it says), shared between its copies. */
  contentId: number;
  /** The mailbox it is in: path, RFC 6154 special use (or \Inbox), UIDVALIDITY. */
  mailbox: string;
  specialUse: string | null;
  uidValidity: number | null;
}

/** The columns `toMessage` reads, for a query over `messages m JOIN mailboxes b ON b.id = m.mailbox_id`. */
export const MESSAGE_COLUMNS = `m.id, m.content_id, m.uid, b.path AS mailbox, b.special_use, b.uidvalidity,
  m.message_id, m.in_reply_to, m.refs, m.from_addr, m.to_addrs, m.cc_addrs, m.reply_to, m.subject, m.date, m.flags`;

/** A row of MESSAGE_COLUMNS. */
export interface MessageRow {
  id: number;
  content_id: number;
  uid: number;
  mailbox: string;
  special_use: string | null;
  uidvalidity: number | null;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string | null;
  from_addr: string | null;
  to_addrs: string | null;
  cc_addrs: string | null;
  reply_to: string | null;
  subject: string | null;
  date: number | null;
  flags: string;
}

/** The row → domain mapper for messages: the one place the address, References and flags columns are parsed. */
export function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    contentId: r.content_id,
    uid: r.uid,
    mailbox: r.mailbox,
    specialUse: r.special_use,
    uidValidity: r.uidvalidity,
    messageId: r.message_id,
    inReplyTo: r.in_reply_to,
    references: splitWords(r.refs),
    from: addressesFromColumn(r.from_addr),
    to: addressesFromColumn(r.to_addrs),
    cc: addressesFromColumn(r.cc_addrs),
    replyTo: addressesFromColumn(r.reply_to),
    subject: r.subject,
    date: r.date,
    flags: splitWords(r.flags),
  };
}

/** A space-separated column (refs, flags) as a list; NULL or empty is none. */
function splitWords(value: string | null): string[] {
  return value ? value.split(' ').filter(Boolean) : [];
}

export interface AttachmentInfo {
  part: string;
  type: string;
  filename?: string;
  size?: number;
  disposition?: string;
}

/** What a message says; shared between its copies. */
export interface MessageContent {
  /** `<message-id>/size`, or `mailbox/uidvalidity/uid` for a message without Message-ID. */
  dedupeKey: string;
  headers: string;
  mimeType: string | null;
  bodyText: string | null;
  bodyHtml: string | null;
  textTruncated: boolean;
  attachments: AttachmentInfo[];
}

export interface NewMessage extends MessageHeaders {
  internalDate: number | null;
  modseq: string | null;
  size: number | null;
  listId: string | null;
  listUnsubscribe: string | null;
  autoSubmitted: string | null;
  precedence: string | null;
  /** The content, or its key alone when a copy of it is already stored. */
  content: MessageContent | { dedupeKey: string; stored: true };
}

/**
 * Writes one batch of messages in one transaction: a kill loses at most this batch, and
 * rewriting a batch (after a crash) replaces rows instead of duplicating them.
 */
export function insertMessages(db: Db, accountId: number, mailboxId: number, messages: NewMessage[]): void {
  const now = Date.now();
  const putContent = stmt<unknown[], { id: number }>(
    db,
    `INSERT INTO contents (account_id, dedupe_key, headers, mime_type, body_text, body_html, text_truncated, attachments)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id, dedupe_key) DO UPDATE SET dedupe_key = excluded.dedupe_key
     RETURNING id`,
  );
  const findContent = stmt<[number, string], { id: number }>(
    db,
    'SELECT id FROM contents WHERE account_id = ? AND dedupe_key = ?',
  );
  const putMessage = stmt<unknown[]>(
    db,
    `INSERT INTO messages (mailbox_id, uid, content_id, message_id, in_reply_to, refs, from_addr, to_addrs, cc_addrs,
        reply_to, subject, date, internal_date, flags, modseq, size, list_id, list_unsubscribe, auto_submitted,
        precedence, fetched_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (mailbox_id, uid) DO UPDATE SET content_id = excluded.content_id, flags = excluded.flags,
        modseq = excluded.modseq, fetched_at = excluded.fetched_at`,
  );
  db.transaction(() => {
    for (const m of messages) {
      const c = m.content;
      let contentId: number | undefined;
      if ('stored' in c) contentId = findContent.get(accountId, c.dedupeKey)?.id;
      if (contentId === undefined && !('stored' in c)) {
        contentId = putContent.get(
          accountId,
          c.dedupeKey,
          c.headers,
          c.mimeType,
          c.bodyText,
          c.bodyHtml,
          c.textTruncated ? 1 : 0,
          JSON.stringify(c.attachments),
        )?.id;
      }
      // assert: the content was found or inserted above, in this same transaction
      if (contentId === undefined) throw new Error(`content ${c.dedupeKey} vanished during the batch`);
      putMessage.run(
        mailboxId,
        m.uid,
        contentId,
        m.messageId,
        m.inReplyTo,
        m.references.length ? m.references.join(' ') : null,
        addressesToColumn(m.from),
        addressesToColumn(m.to),
        addressesToColumn(m.cc),
        addressesToColumn(m.replyTo),
        m.subject,
        m.date,
        m.internalDate,
        m.flags.join(' '),
        m.modseq,
        m.size,
        m.listId,
        m.listUnsubscribe,
        m.autoSubmitted,
        m.precedence,
        now,
      );
    }
  })();
}

/** The subset of `keys` whose content is already stored for this account. */
export function storedContentKeys(db: Db, accountId: number, keys: string[]): Set<string> {
  const found = new Set<string>();
  const q = stmt<[number, string], { id: number }>(
    db,
    'SELECT id FROM contents WHERE account_id = ? AND dedupe_key = ?',
  );
  for (const key of keys) if (q.get(accountId, key)) found.add(key);
  return found;
}

export interface FlagChange {
  uid: number;
  flags: string[];
  modseq: string | null;
}

/** Applies flag changes to rows we hold; changes for UIDs we do not hold yet are ignored. */
export function updateFlags(db: Db, mailboxId: number, changes: FlagChange[]): number {
  const q = stmt(
    db,
    'UPDATE messages SET flags = ?, modseq = COALESCE(?, modseq) WHERE mailbox_id = ? AND uid = ? AND flags <> ?',
  );
  let changed = 0;
  db.transaction(() => {
    for (const c of changes) {
      const flags = c.flags.join(' ');
      changed += q.run(flags, c.modseq, mailboxId, c.uid, flags).changes;
    }
  })();
  return changed;
}

/** Deletes expunged messages (their contents are collected later by deleteOrphanContents). */
export function deleteUids(db: Db, mailboxId: number, uids: number[]): number {
  if (uids.length === 0) return 0;
  const q = stmt(db, 'DELETE FROM messages WHERE mailbox_id = ? AND uid = ?');
  return db.transaction(() => {
    let removed = 0;
    for (const uid of uids) removed += q.run(mailboxId, uid).changes;
    return removed;
  })();
}

export function localUids(db: Db, mailboxId: number): number[] {
  return stmt<[number], { uid: number }>(db, 'SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid')
    .all(mailboxId)
    .map((r) => r.uid);
}

export function localFlags(db: Db, mailboxId: number): Map<number, string> {
  const rows = stmt<[number], { uid: number; flags: string }>(
    db,
    'SELECT uid, flags FROM messages WHERE mailbox_id = ?',
  ).all(mailboxId);
  return new Map(rows.map((r) => [r.uid, r.flags]));
}

/** The highest UID stored, 0 when none: new mail resumes above it after an interrupted sync. */
export function maxUid(db: Db, mailboxId: number): number {
  return (
    stmt<[number], { m: number | null }>(db, 'SELECT MAX(uid) AS m FROM messages WHERE mailbox_id = ?').get(mailboxId)
      ?.m ?? 0
  );
}

export function countMessages(db: Db, mailboxId: number): number {
  return (
    stmt<[number], { n: number }>(db, 'SELECT COUNT(*) AS n FROM messages WHERE mailbox_id = ?').get(mailboxId)?.n ?? 0
  );
}

/**
 * The UID of a message in the account's INBOX, named by its UID (is it there?) or by its
 * normalised Message-ID (the newest copy when several share it); undefined when there is none.
 */
export function inboxUid(db: Db, accountId: number, ref: { uid: number } | { messageId: string }): number | undefined {
  if ('uid' in ref)
    return stmt<[number, number], { uid: number }>(
      db,
      `SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
       WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND m.uid = ?`,
    ).get(accountId, ref.uid)?.uid;
  return stmt<[number, string], { uid: number }>(
    db,
    `SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND m.message_id = ?
     ORDER BY m.uid DESC LIMIT 1`,
  ).get(accountId, ref.messageId)?.uid;
}

/** Every stored copy of every message of the account, by content (copies of one content together), then by row. */
export function messagesForDataset(db: Db, accountId: number): Message[] {
  return stmt<[number], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS}
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? ORDER BY m.content_id, m.id`,
  )
    .all(accountId)
    .map(toMessage);
}

/** How much mail an account has stored: rows, the highest row id (0 when none) and the sum of their content ids. */
export interface MessageTally {
  count: number;
  /** SQLite gives each new row an id above the current highest, so its growth bounds how many rows came since. */
  maxId: number;
  contentSum: number;
}

/** The account's MessageTally: one aggregate query, for cheap "did anything change" checks. */
export function messageTally(db: Db, accountId: number): MessageTally {
  const row = stmt<[number], { n: number; max_id: number | null; sum_content: number | null }>(
    db,
    `SELECT COUNT(*) AS n, MAX(m.id) AS max_id, SUM(m.content_id) AS sum_content
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ?`,
  ).get(accountId);
  return { count: row?.n ?? 0, maxId: row?.max_id ?? 0, contentSum: row?.sum_content ?? 0 };
}
