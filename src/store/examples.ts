// The examples and dataset_drops tables: the account's training examples (reply pairs) and the
// sent mail that did not become one, with why. Both are derived data, replaced by each build.
import { type Db, stmt } from './db.js';

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

/** A sent message that did not become an example, and why (a DropReason of src/dataset/build.ts). */
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

/** The account's examples (of one split, or all), oldest reply first. */
export function storedExamples(db: Db, accountId: number, split?: 'train' | 'eval'): Example[] {
  const base = `SELECT reply_key, reply_content, parent_content, paired_by, thread_key, reply_date, correspondent, language,
                       reply_chars, split, conversation, source, pairing
                FROM examples WHERE account_id = ?`;
  if (split)
    return stmt<[number, string], Example>(db, `${base} AND split = ? ORDER BY reply_date, id`).all(accountId, split);
  return stmt<[number], Example>(db, `${base} ORDER BY reply_date, id`).all(accountId);
}

/** The account's dropped replies, by reason. */
export function storedDrops(db: Db, accountId: number): DropRow[] {
  return stmt<[number], DropRow>(
    db,
    'SELECT reply_key, reason, detail FROM dataset_drops WHERE account_id = ? ORDER BY reason, reply_key',
  ).all(accountId);
}
