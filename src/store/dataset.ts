// Typed queries for the dataset tables: cleaned text per content, examples, drops, builds.
import { type Db, stmt } from './db.js';
import { MESSAGE_COLUMNS, type Message, type MessageRow, toMessage } from './messages.js';

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

export interface ContentForCleaning {
  id: number;
  headers: string;
  mime_type: string | null;
  body_text: string | null;
  body_html: string | null;
  attachments: string;
}

export function contentForCleaning(db: Db, contentId: number): ContentForCleaning | undefined {
  return stmt<[number], ContentForCleaning>(
    db,
    'SELECT id, headers, mime_type, body_text, body_html, attachments FROM contents WHERE id = ?',
  ).get(contentId);
}

export interface ContentTextRow {
  content_id: number;
  rules: string;
  own_text: string | null;
  quoted: number;
  forwarded: number;
  signature: string | null;
  language: string | null;
  skip_reasons: string;
  error: string | null;
}

export function contentText(db: Db, contentId: number): ContentTextRow | undefined {
  return stmt<[number], ContentTextRow>(db, 'SELECT * FROM content_text WHERE content_id = ?').get(contentId);
}

export function putContentText(db: Db, row: ContentTextRow): void {
  stmt(
    db,
    `INSERT OR REPLACE INTO content_text (content_id, rules, own_text, quoted, forwarded, signature, language, skip_reasons, error)
     VALUES (@content_id, @rules, @own_text, @quoted, @forwarded, @signature, @language, @skip_reasons, @error)`,
  ).run(row);
}

/**
 * One training example, a reply pair as stored: an incoming message (the parent) and the user's
 * reply to it, rendered as a chat conversation. Dates in ms since the epoch.
 */
export interface Example {
  /** Message-ID of the reply, or `content:ID` for one without. */
  reply_key: string;
  reply_content: number;
  /** The parent's content; for a reconstructed parent the reply's own content, which holds it as a quote. */
  parent_content: number;
  paired_by: 'headers' | 'quote' | 'reconstructed' | 'subject';
  /** The thread's key: a thread never straddles the train/eval split. */
  thread_key: string;
  reply_date: number;
  /** Address of the parent's sender. */
  correspondent: string | null;
  language: string;
  reply_chars: number;
  split: 'train' | 'eval';
  /** JSON {messages: [{role, content}, …]} as rendered for training. */
  conversation: string;
  /** JSON {input: PromptInput, reply}: re-rendered when the context must shrink to fit. */
  source: string;
  /** JSON PairingInfo (src/dataset/build.ts): how the parent was found, evidence, warnings; null for examples built before it was recorded. */
  pairing: string | null;
}

/** An example as a build writes it (how it was paired is always recorded). */
export type NewExample = Example & { pairing: string };
/** The names importers used before `Example`: the same shape. */
export type ExampleRow = NewExample;
export type StoredExample = Example;

export interface DropRow {
  reply_key: string;
  reason: string;
  detail: string | null;
}

/** Replaces the account's examples and drops in one transaction (they are derived data). */
export function replaceDataset(db: Db, accountId: number, examples: NewExample[], drops: DropRow[]): void {
  const putExample = stmt(
    db,
    `INSERT INTO examples (account_id, reply_key, reply_content, parent_content, paired_by, thread_key, reply_date,
        correspondent, language, reply_chars, split, conversation, source, pairing)
     VALUES (@account_id, @reply_key, @reply_content, @parent_content, @paired_by, @thread_key, @reply_date,
        @correspondent, @language, @reply_chars, @split, @conversation, @source, @pairing)`,
  );
  const putDrop = stmt(
    db,
    'INSERT OR REPLACE INTO dataset_drops (account_id, reply_key, reason, detail) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    stmt(db, 'DELETE FROM examples WHERE account_id = ?').run(accountId);
    stmt(db, 'DELETE FROM dataset_drops WHERE account_id = ?').run(accountId);
    for (const e of examples) putExample.run({ account_id: accountId, ...e });
    for (const d of drops) putDrop.run(accountId, d.reply_key, d.reason, d.detail);
  })();
}

export function lastBuild(
  db: Db,
  accountId: number,
): { fingerprint: string; built_at: number; summary: string } | undefined {
  return stmt<[number], { fingerprint: string; built_at: number; summary: string }>(
    db,
    'SELECT fingerprint, built_at, summary FROM dataset_builds WHERE account_id = ?',
  ).get(accountId);
}

export function recordBuild(db: Db, accountId: number, fingerprint: string, summary: unknown): void {
  stmt(
    db,
    'INSERT OR REPLACE INTO dataset_builds (account_id, fingerprint, built_at, summary) VALUES (?, ?, ?, ?)',
  ).run(accountId, fingerprint, Date.now(), JSON.stringify(summary));
}

/** Changes whenever a message is added to or removed from the account's mailboxes. */
export function storeFingerprint(db: Db, accountId: number): string {
  const row = stmt<[number], { n: number; max_id: number | null; sum_content: number | null }>(
    db,
    `SELECT COUNT(*) AS n, MAX(m.id) AS max_id, SUM(m.content_id) AS sum_content
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ?`,
  ).get(accountId);
  return `${row?.n ?? 0}:${row?.max_id ?? 0}:${row?.sum_content ?? 0}`;
}

/** The account's examples (of one split, or all), oldest reply first. */
export function storedExamples(db: Db, accountId: number, split?: 'train' | 'eval'): Example[] {
  const base = `SELECT reply_key, reply_content, parent_content, paired_by, thread_key, reply_date, correspondent, language,
                       reply_chars, split, conversation, source, pairing
                FROM examples WHERE account_id = ?`;
  if (split)
    return stmt<[number, string], Example>(db, `${base} AND split = ? ORDER BY reply_date, id`).all(accountId, split);
  return stmt<[number], Example>(db, `${base} ORDER BY reply_date, id`).all(accountId);
}

export function storedDrops(db: Db, accountId: number): DropRow[] {
  return stmt<[number], DropRow>(
    db,
    'SELECT reply_key, reason, detail FROM dataset_drops WHERE account_id = ? ORDER BY reason, reply_key',
  ).all(accountId);
}

/** Contents that could not be read at all (malformed MIME, undecodable text), with why. */
export function unreadableContents(db: Db, accountId: number): { content_id: number; error: string }[] {
  return stmt<[number], { content_id: number; error: string }>(
    db,
    `SELECT t.content_id, t.error FROM content_text t JOIN contents c ON c.id = t.content_id
     WHERE c.account_id = ? AND t.error IS NOT NULL`,
  ).all(accountId);
}

export function accountIdByName(db: Db, name: string): number | undefined {
  return stmt<[string], { id: number }>(db, 'SELECT id FROM accounts WHERE name = ?').get(name)?.id;
}
